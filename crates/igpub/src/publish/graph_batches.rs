//! The worker's container creations and publishes, sent in shared batch requests. In a burst,
//! posts of hundreds of accounts create containers and publish at the same moment; one HTTP
//! request each makes the round trips, not Meta, the worker's main cost. Calls that arrive
//! together go as the sub-requests of one `POST /` batch (graph-api.md §9.1), each on its own
//! account's token and proof (§5.4, §9.1), at most 50 sub-requests per batch. A lone call goes
//! at once and on its own, exactly as it would without batching.
//!
//! Batching changes no outcome: each call gets the answer of its own sub-request, decoded as a
//! direct call's would be. A batch that fails as a whole answers every call it carried with
//! that error when Meta may have run the parts (timeout, 5xx), so publishes go to verifying as
//! any ambiguous publish does, while creations get one more try at once; it does the same when
//! Meta refused the whole app (§7). When Meta surely ran nothing for another reason (it refused
//! the batch's own token, say), each call is sent again on its own, so one account's trouble
//! never becomes another's.

use futures::future::join_all;
use igpub_graph::{
    AccessToken, BatchRequest, BatchResponse, ContainerId, ContainerSpec, ErrorClass, GraphClient,
    GraphError, IgUserId, MAX_BATCH_REQUESTS, PublishedMedia, RateLimitScope, classify,
    created_container, publish_and_fetch_requests, published_media,
};
use tokio::time::Instant;

use super::coalesce::Coalescer;

/// Most calls taken from the queue at once (a publish is two sub-requests, so this fills at
/// least one batch of 50).
const MAX_CALLS: usize = MAX_BATCH_REQUESTS;

/// Batches in flight at once; further calls gather behind them. Enough to keep a burst moving
/// at 50 ms round trips, few enough not to flood Meta.
const MAX_IN_FLIGHT: usize = 8;

/// One call to Meta, on one account's token.
#[derive(Clone, Debug)]
enum Call {
    /// `POST /{ig-user-id}/media` (§2.2).
    Create {
        token: AccessToken,
        ig: IgUserId,
        spec: Box<ContainerSpec>,
    },
    /// `media_publish`, then the new media's fields, depending on it (§2.7, §9.1).
    PublishAndFetch {
        token: AccessToken,
        ig: IgUserId,
        container: ContainerId,
    },
}

/// The answer to a [`Call`], of the matching kind.
#[derive(Debug)]
enum Answer {
    /// The new container, and when its request left (after any wait for a free batch).
    Created(Result<(ContainerId, Instant), GraphError>),
    Published(Box<Result<PublishedMedia, GraphError>>),
}

impl Call {
    /// Its sub-requests in a batch: one for a creation, two for a publish.
    fn parts(&self) -> usize {
        match self {
            Call::Create { .. } => 1,
            Call::PublishAndFetch { .. } => 2,
        }
    }

    fn token(&self) -> &AccessToken {
        match self {
            Call::Create { token, .. } | Call::PublishAndFetch { token, .. } => token,
        }
    }

    /// The answer every call of a failed batch gets.
    fn failed(&self, error: GraphError) -> Answer {
        match self {
            Call::Create { .. } => Answer::Created(Err(error)),
            Call::PublishAndFetch { .. } => Answer::Published(Box::new(Err(error))),
        }
    }
}

/// Sends the worker's creations and publishes, batching those that arrive together.
#[derive(Debug, Clone)]
pub(crate) struct GraphBatches {
    route: Route,
}

#[derive(Debug, Clone)]
enum Route {
    Batched(Coalescer<Call, Answer>),
    /// Every call a request of its own: the seed-style baseline of `igpub bench publish`.
    Alone(GraphClient),
}

impl GraphBatches {
    /// Starts the batching task on `client` (whose app secret, if any, proves every part).
    pub(crate) fn spawn(client: GraphClient) -> Self {
        let calls = Coalescer::spawn_concurrent(MAX_CALLS, MAX_IN_FLIGHT, move |calls| {
            send_calls(client.clone(), calls)
        });
        Self {
            route: Route::Batched(calls),
        }
    }

    /// Sends every call on its own, at once.
    pub(crate) fn unbatched(client: GraphClient) -> Self {
        Self {
            route: Route::Alone(client),
        }
    }

    async fn call(&self, call: Call) -> Option<Answer> {
        match &self.route {
            Route::Batched(calls) => calls.call(call).await,
            Route::Alone(client) => Some(send_alone(client.clone(), &call).await),
        }
    }

    /// Creates a container for `ig` (step 1 of §2.1); its id, and the moment the request left
    /// for Meta (later than the call when it waited for a free batch).
    pub(crate) async fn create_container(
        &self,
        token: AccessToken,
        ig: IgUserId,
        spec: ContainerSpec,
    ) -> Result<(ContainerId, Instant), GraphError> {
        let spec = Box::new(spec);
        match self.call(Call::Create { token, ig, spec }).await {
            Some(Answer::Created(result)) => result,
            Some(Answer::Published(_)) | None => Err(stopped()),
        }
    }

    /// Publishes a FINISHED container and reads the new media's fields in the same round trip.
    /// Not idempotent: on an error where [`GraphError::is_ambiguous`] holds, it may have
    /// published.
    pub(crate) async fn publish_and_fetch(
        &self,
        token: AccessToken,
        ig: IgUserId,
        container: ContainerId,
    ) -> Result<PublishedMedia, GraphError> {
        let call = Call::PublishAndFetch {
            token,
            ig,
            container,
        };
        match self.call(call).await {
            Some(Answer::Published(result)) => *result,
            Some(Answer::Created(_)) => Err(stopped()),
            // Nothing was sent: the batching task is gone (the runtime is shutting down).
            None => Err(stopped()),
        }
    }
}

fn stopped() -> GraphError {
    GraphError::Config("the worker's Graph batching task has stopped".into())
}

/// Answers `calls` in order: split into batches of at most 50 sub-requests, sent at once.
async fn send_calls(client: GraphClient, calls: Vec<Call>) -> Vec<Answer> {
    let batches = join_all(
        into_batches(calls)
            .into_iter()
            .map(|batch| send_batch(client.clone(), batch)),
    )
    .await;
    batches.into_iter().flatten().collect()
}

/// Groups calls in order so no batch holds more than [`MAX_BATCH_REQUESTS`] sub-requests.
fn into_batches(calls: Vec<Call>) -> Vec<Vec<Call>> {
    let mut batches: Vec<Vec<Call>> = Vec::new();
    let mut parts = 0;
    for call in calls {
        let size = call.parts();
        match batches.last_mut() {
            Some(batch) if parts + size <= MAX_BATCH_REQUESTS => {
                batch.push(call);
                parts += size;
            }
            _ => {
                batches.push(vec![call]);
                parts = size;
            }
        }
    }
    batches
}

/// Sends one batch. A creation that failed only because its whole batch did, in a way that
/// may have run it, gets one more try at once: at worst Meta made an orphan container, which
/// expires unused (graph-api.md §10), while each post backing off alone would turn one lost
/// round trip into a retry delay for every post in it. A publish is never tried again here:
/// its post goes to verifying.
async fn send_batch(client: GraphClient, calls: Vec<Call>) -> Vec<Answer> {
    let (mut answers, whole_batch_failed) = try_batch(&client, &calls).await;
    if !whole_batch_failed {
        return answers;
    }
    let again: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, answer)| matches!(answer, Answer::Created(Err(error)) if error.is_ambiguous()))
        .map(|(index, _)| index)
        .collect();
    if again.is_empty() {
        return answers;
    }
    let retry: Vec<Call> = again
        .iter()
        .filter_map(|&index| calls.get(index).cloned())
        .collect();
    tracing::info!(
        creations = retry.len(),
        "a call batch failed as a whole; trying its creations once more"
    );
    let (retried, _) = try_batch(&client, &retry).await;
    for (index, answer) in again.into_iter().zip(retried) {
        if let Some(slot) = answers.get_mut(index) {
            *slot = answer;
        }
    }
    answers
}

/// Sends `calls` as one batch (a single call alone), with whether the batch failed as a
/// whole and every call got its error.
async fn try_batch(client: &GraphClient, calls: &[Call]) -> (Vec<Answer>, bool) {
    if let [call] = calls {
        return (vec![send_alone(client.clone(), call).await], false);
    }
    let mut requests = Vec::with_capacity(calls.len() * 2);
    let mut not_sent: Vec<Option<GraphError>> = Vec::with_capacity(calls.len());
    for (index, call) in calls.iter().enumerate() {
        match parts_of(index, call) {
            Ok(parts) => {
                requests.extend(parts.into_iter().map(|part| (call.token().clone(), part)));
                not_sent.push(None);
            }
            // A spec Meta would refuse is not sent; the others still go.
            Err(error) => not_sent.push(Some(error)),
        }
    }
    if requests.is_empty() {
        // Every spec was invalid: nothing to send, each call has its own error.
        let answers = calls
            .iter()
            .zip(not_sent)
            .map(|(call, error)| call.failed(error.unwrap_or_else(stopped)))
            .collect();
        return (answers, false);
    }
    let sent = Instant::now();
    match client.batch_on_own_tokens(requests).await {
        Ok(answers) => (read_answers(calls, not_sent, answers, sent), false),
        Err(error) if shared_by_every_call(&error) => {
            let answers = calls
                .iter()
                .zip(not_sent)
                .map(|(call, invalid)| call.failed(invalid.unwrap_or_else(|| error.clone())))
                .collect();
            (answers, true)
        }
        Err(error) => {
            // Meta ran none of it (it refused the batch's own token, say): each call's own
            // answer is what its post must act on, so each goes again alone.
            tracing::info!(%error, calls = calls.len(), "a call batch failed; sending the calls one by one");
            let answers = join_all(calls.iter().zip(not_sent).map(|(call, invalid)| async {
                match invalid {
                    Some(error) => call.failed(error),
                    None => send_alone(client.clone(), call).await,
                }
            }))
            .await;
            (answers, false)
        }
    }
}

/// Whether a failure of the whole batch is every call's own answer: Meta may have run the
/// parts (timeout, 5xx: a publish among them may have gone out, so it must never be sent
/// again blindly), or it refused the whole app (§7, codes 4, 341, 613), which would refuse
/// each call alone too. Any other failure means Meta ran nothing for a reason that may be
/// the batch's own token only.
fn shared_by_every_call(error: &GraphError) -> bool {
    error.is_ambiguous()
        || matches!(
            classify(error, 0),
            ErrorClass::RateLimited {
                scope: RateLimitScope::App,
                ..
            }
        )
}

/// The sub-requests of call `index`. Publish names carry the index, so they are unique in the
/// batch.
fn parts_of(index: usize, call: &Call) -> Result<Vec<BatchRequest>, GraphError> {
    Ok(match call {
        Call::Create { ig, spec, .. } => vec![BatchRequest::new(spec.to_request(ig)?)],
        Call::PublishAndFetch { ig, container, .. } => {
            publish_and_fetch_requests(ig, container, &publish_name(index)).into()
        }
    })
}

fn publish_name(index: usize) -> String {
    format!("publish{index}")
}

/// Matches the batch's answers, in order, to the calls that were sent.
fn read_answers(
    calls: &[Call],
    not_sent: Vec<Option<GraphError>>,
    answers: Vec<Option<BatchResponse>>,
    sent: Instant,
) -> Vec<Answer> {
    let mut answers = answers.into_iter();
    let mut position = 0;
    calls
        .iter()
        .zip(not_sent)
        .enumerate()
        .map(|(index, (call, invalid))| {
            if let Some(error) = invalid {
                return call.failed(error);
            }
            match call {
                Call::Create { .. } => {
                    let answer = created_container(answers.next().flatten(), position);
                    position += 1;
                    Answer::Created(answer.map(|id| (id, sent)))
                }
                Call::PublishAndFetch { .. } => {
                    let publish = answers.next().flatten();
                    let fetch = answers.next().flatten();
                    position += 2;
                    let name = publish_name(index);
                    Answer::Published(Box::new(published_media(publish, fetch, &name)))
                }
            }
        })
        .collect()
}

/// One call as its own request, on its own token.
async fn send_alone(client: GraphClient, call: &Call) -> Answer {
    match call {
        Call::Create { token, ig, spec } => {
            let sent = Instant::now();
            let created = client
                .with_token(token.clone())
                .create_container(ig, spec)
                .await;
            Answer::Created(created.map(|id| (id, sent)))
        }
        Call::PublishAndFetch {
            token,
            ig,
            container,
        } => Answer::Published(Box::new(
            client
                .with_token(token.clone())
                .publish_and_fetch(ig, container)
                .await,
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use igpub_graph::ImagePost;
    use igpub_sim::{FaultSpec, SeededAccount, Sim, SimConfig, SimHandle, TokenFailure};
    use secrecy::ExposeSecret;

    use super::*;

    fn image() -> ContainerSpec {
        let url = url::Url::parse("https://cdn.example.com/a.jpg").expect("a valid URL");
        ContainerSpec::Image(ImagePost::new(url))
    }

    fn create(n: usize) -> Call {
        Call::Create {
            token: AccessToken::new(format!("token-{n}")),
            ig: IgUserId::new(format!("1784{n}")),
            spec: Box::new(image()),
        }
    }

    fn publish(n: usize) -> Call {
        Call::PublishAndFetch {
            token: AccessToken::new(format!("token-{n}")),
            ig: IgUserId::new(format!("1784{n}")),
            container: ContainerId::new(format!("179{n}")),
        }
    }

    fn parts(batches: &[Vec<Call>]) -> Vec<usize> {
        batches
            .iter()
            .map(|batch| batch.iter().map(Call::parts).sum())
            .collect()
    }

    #[test]
    fn no_batch_holds_more_than_fifty_sub_requests_and_the_order_is_kept() {
        let publishes: Vec<Call> = (0..30).map(publish).collect();
        assert_eq!(parts(&into_batches(publishes)), [50, 10]);
        let creates: Vec<Call> = (0..101).map(create).collect();
        assert_eq!(parts(&into_batches(creates)), [50, 50, 1]);
        // A publish that would make 51 starts the next batch.
        let mixed: Vec<Call> = (0..49)
            .map(create)
            .chain([publish(49), create(50)])
            .collect();
        let batches = into_batches(mixed);
        assert_eq!(parts(&batches), [49, 3]);
        let order: Vec<String> = batches
            .iter()
            .flatten()
            .map(|call| match call {
                Call::Create { ig, .. } | Call::PublishAndFetch { ig, .. } => ig.to_string(),
            })
            .collect();
        let expected: Vec<String> = (0..51).map(|n| format!("1784{n}")).collect();
        assert_eq!(order, expected);
    }

    /// A simulator whose containers finish at once and which demands `appsecret_proof`, and a
    /// client that proves its calls with the app's secret.
    async fn sim_and_client() -> (SimHandle, Vec<SeededAccount>, GraphClient) {
        let sim = Sim::start(SimConfig {
            accounts: 3,
            image_processing: Duration::ZERO,
            processing_jitter: 0.0,
            fetch_media: false,
            require_appsecret_proof: true,
            ..SimConfig::default()
        })
        .await
        .expect("the simulator starts");
        let accounts = sim.accounts();
        let secret = accounts[0].app_secret.clone();
        let client = GraphClient::builder()
            .base_url(sim.base_url().as_str())
            .app_secret(secret)
            .build()
            .expect("client");
        (sim, accounts, client)
    }

    fn token(account: &SeededAccount) -> AccessToken {
        AccessToken::new(account.page_token.expose_secret())
    }

    fn ig(account: &SeededAccount) -> IgUserId {
        IgUserId::new(&account.ig_user_id)
    }

    async fn finished_container(client: &GraphClient, account: &SeededAccount) -> ContainerId {
        client
            .with_token(token(account))
            .create_container(&ig(account), &image())
            .await
            .expect("a container")
    }

    #[tokio::test]
    async fn calls_of_many_accounts_share_one_round_trip_and_each_gets_its_own_answer() {
        let (sim, accounts, client) = sim_and_client().await;
        let ready = finished_container(&client, &accounts[1]).await;
        let batches = GraphBatches::spawn(client);
        sim.reset_counters();
        let too_long = ContainerSpec::Image(ImagePost {
            caption: Some("x".repeat(igpub_graph::MAX_CAPTION_CHARS + 1)),
            ..ImagePost::new(url::Url::parse("https://cdn.example.com/a.jpg").expect("url"))
        });
        let (created, published, refused, unknown) = tokio::join!(
            batches.create_container(token(&accounts[0]), ig(&accounts[0]), image()),
            batches.publish_and_fetch(token(&accounts[1]), ig(&accounts[1]), ready.clone()),
            batches.create_container(token(&accounts[2]), ig(&accounts[2]), too_long),
            batches.publish_and_fetch(
                token(&accounts[2]),
                ig(&accounts[2]),
                ContainerId::new("17999999999999999"),
            ),
        );
        assert!(created.is_ok(), "{created:?}");
        let published = published.expect("published");
        assert!(
            published.media.and_then(|m| m.permalink).is_some(),
            "the permalink came in the same batch"
        );
        assert!(
            matches!(&refused, Err(GraphError::InvalidInput { field, .. }) if field == "caption"),
            "{refused:?}"
        );
        assert!(matches!(&unknown, Err(GraphError::Api(_))), "{unknown:?}");
        let counters = sim.counters();
        // Every call is queued before the batching task runs (one runtime thread).
        assert_eq!(counters.round_trips, 1, "{counters:?}");
        assert_eq!(
            counters.total_calls_of("media.create"),
            1,
            "the invalid spec is not sent"
        );
        assert_eq!(counters.total_calls_of("media.publish"), 2);
        assert_eq!(
            sim.published().get(&accounts[1].ig_user_id).map(Vec::len),
            Some(1)
        );
    }

    #[tokio::test]
    async fn a_lone_call_goes_at_once_and_alone() {
        let (sim, accounts, client) = sim_and_client().await;
        let batches = GraphBatches::spawn(client);
        sim.reset_counters();
        let created = batches
            .create_container(token(&accounts[0]), ig(&accounts[0]), image())
            .await;
        assert!(created.is_ok(), "{created:?}");
        let counters = sim.counters();
        assert_eq!(counters.round_trips, 1);
        assert_eq!(
            counters.round_trips_by_endpoint.get("batch"),
            None,
            "{counters:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_token_fails_only_its_own_call() {
        let (sim, accounts, client) = sim_and_client().await;
        let refused = token(&accounts[0]);
        sim.fail_token(refused.expose_secret(), TokenFailure::Expired)
            .expect("the token fails");
        let batches = GraphBatches::spawn(client);
        sim.reset_counters();
        // Both calls are queued before the batching task runs (one runtime thread), and the
        // refused token is the batch's own.
        let (first, second) = tokio::join!(
            batches.create_container(refused.clone(), ig(&accounts[0]), image()),
            batches.create_container(token(&accounts[1]), ig(&accounts[1]), image()),
        );
        assert!(
            matches!(&first, Err(GraphError::Api(api)) if api.code == 190),
            "{first:?}"
        );
        assert!(
            second.is_ok(),
            "another account's call is not failed by it: {second:?}"
        );
        assert_eq!(sim.counters().round_trips, 1);
    }

    fn api_error(code: i64, http_status: u16) -> GraphError {
        let body = format!(
            r#"{{"error":{{"message":"m","type":"OAuthException","code":{code},"fbtrace_id":"t"}}}}"#
        );
        let answer: BatchResponse =
            serde_json::from_value(serde_json::json!({"code": http_status, "body": body}))
                .expect("a sub-response");
        answer
            .decode::<serde_json::Value>()
            .expect_err("an error envelope")
    }

    #[test]
    fn only_a_failure_that_may_have_run_or_binds_the_whole_app_answers_every_call() {
        // A 5xx (code 2) or a dropped answer: a publish in it may have gone out.
        assert!(shared_by_every_call(&api_error(2, 500)));
        assert!(shared_by_every_call(&GraphError::BatchItemMissing {
            index: 0,
            name: None
        }));
        // The app's rate limit refuses every token alike.
        assert!(shared_by_every_call(&api_error(4, 400)));
        // The batch's own token refused, or its request refused: nothing ran; others may work.
        assert!(!shared_by_every_call(&api_error(190, 400)));
        assert!(!shared_by_every_call(&api_error(100, 400)));
        assert!(!shared_by_every_call(&api_error(80002, 400)));
    }

    #[tokio::test]
    async fn creations_of_a_batch_that_failed_whole_get_one_more_try_and_publishes_none() {
        let (sim, accounts, client) = sim_and_client().await;
        let ready = finished_container(&client, &accounts[1]).await;
        let batches = GraphBatches::spawn(client);
        // Every batch answers 500 without doing anything.
        sim.set_faults(
            "batch",
            FaultSpec {
                error_5xx_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("faults");
        sim.reset_counters();
        let (first, published, second) = tokio::join!(
            batches.create_container(token(&accounts[0]), ig(&accounts[0]), image()),
            batches.publish_and_fetch(token(&accounts[1]), ig(&accounts[1]), ready),
            batches.create_container(token(&accounts[2]), ig(&accounts[2]), image()),
        );
        for answer in [first.map(|_| ()), published.map(|_| ()), second.map(|_| ())] {
            assert!(answer.is_err_and(|error| error.is_ambiguous()));
        }
        let counters = sim.counters();
        assert_eq!(
            counters.round_trips_by_endpoint.get("batch"),
            Some(&2),
            "the batch, then its two creations once more: {counters:?}"
        );
        // Once the faults stop, the same calls go through.
        sim.clear_faults();
        let created = batches
            .create_container(token(&accounts[0]), ig(&accounts[0]), image())
            .await;
        assert!(created.is_ok(), "{created:?}");
    }

    #[tokio::test]
    async fn publishes_in_a_batch_that_may_have_run_are_never_sent_again() {
        let (sim, accounts, client) = sim_and_client().await;
        let first = finished_container(&client, &accounts[0]).await;
        let second = finished_container(&client, &accounts[1]).await;
        let third = finished_container(&client, &accounts[2]).await;
        let batches = GraphBatches::spawn(client);
        sim.set_faults(
            "batch",
            FaultSpec {
                commit_then_fail_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("faults");
        let answers = tokio::join!(
            batches.publish_and_fetch(token(&accounts[0]), ig(&accounts[0]), first),
            batches.publish_and_fetch(token(&accounts[1]), ig(&accounts[1]), second),
            batches.publish_and_fetch(token(&accounts[2]), ig(&accounts[2]), third),
        );
        for answer in [answers.0, answers.1, answers.2] {
            assert!(
                answer.as_ref().is_err_and(GraphError::is_ambiguous),
                "{answer:?}"
            );
        }
        let published: usize = sim.published().values().map(Vec::len).sum();
        assert_eq!(
            published, 3,
            "each container was published once, and only once"
        );
        assert_eq!(sim.counters().total_calls_of("media.publish"), 3);
    }
}
