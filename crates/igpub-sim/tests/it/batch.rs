//! `POST /` batch and the `?ids=` multi-get (shared/graph-api.md §2.6, §7, §9.1).

use crate::support::TestSim;
use serde_json::{Value, json};

async fn batch(sim: &TestSim, parts: Value) -> crate::support::Reply {
    sim.post("v25.0/", &[("batch", &parts.to_string())]).await
}

fn body_of(part: &Value) -> Value {
    serde_json::from_str(part["body"].as_str().expect("the body is a JSON string"))
        .expect("JSON inside")
}

#[tokio::test]
async fn a_batch_answers_each_part_with_code_headers_and_a_string_body() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    let reply = batch(
        &sim,
        json!([
            {"method": "GET", "relative_url": format!("{ig}/content_publishing_limit?fields=quota_usage,config")},
            {"method": "GET", "relative_url": "17999999999999999?fields=status_code"},
        ]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let parts = reply.body.as_array().expect("an array");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["code"], 200);
    assert!(parts[0]["headers"].as_array().is_some_and(|headers| {
        headers
            .iter()
            .all(|h| h["name"].is_string() && h["value"].is_string())
    }));
    assert_eq!(body_of(&parts[0])["data"][0]["config"]["quota_total"], 100);
    assert_eq!(parts[1]["code"], 400);
    assert_eq!(body_of(&parts[1])["error"]["error_subcode"], 33);
}

#[tokio::test]
async fn a_part_can_depend_on_and_reference_an_earlier_result() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    let reply = batch(
        &sim,
        json!([
            {"method": "POST", "relative_url": format!("{ig}/media"), "name": "create",
             "body": "image_url=http%3A%2F%2F127.0.0.1%3A9%2Fa.jpg&caption=from+a+batch"},
            {"method": "POST", "relative_url": format!("{ig}/media_publish"), "depends_on": "create",
             "body": "creation_id={result=create:$.id}"},
        ]),
    )
    .await;
    let parts = reply.body.as_array().expect("an array");
    assert_eq!(
        parts[0],
        Value::Null,
        "a referenced part's success is omitted by default"
    );
    assert_eq!(parts[1]["code"], 200, "{}", reply.text);
    let media = body_of(&parts[1])["id"]
        .as_str()
        .expect("a media id")
        .to_owned();
    let truth = &sim.sim.published()[&ig];
    assert_eq!(truth.len(), 1);
    assert_eq!(truth[0].media_id, media);
    assert_eq!(truth[0].caption.as_deref(), Some("from a batch"));
}

#[tokio::test]
async fn omit_response_on_success_false_keeps_a_referenced_answer() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    let reply = batch(
        &sim,
        json!([
            {"method": "GET", "relative_url": ig.clone(), "name": "me", "omit_response_on_success": false},
            {"method": "GET", "relative_url": "{result=me:$.id}?fields=username"},
        ]),
    )
    .await;
    let parts = reply.body.as_array().expect("an array");
    assert_eq!(body_of(&parts[0]), json!({"id": ig}));
    assert_eq!(
        body_of(&parts[1])["username"],
        sim.account.username.as_str()
    );
}

#[tokio::test]
async fn a_failed_dependency_leaves_a_null() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    let reply = batch(
        &sim,
        json!([
            {"method": "POST", "relative_url": format!("{ig}/media"), "name": "create", "body": "caption=no+image"},
            {"method": "POST", "relative_url": format!("{ig}/media_publish"), "depends_on": "create",
             "body": "creation_id={result=create:$.id}"},
        ]),
    )
    .await;
    let parts = reply.body.as_array().expect("an array");
    assert_eq!(parts[0]["code"], 400);
    assert_eq!(parts[1], Value::Null);
}

#[tokio::test]
async fn jsonpath_wildcards_feed_a_multi_get_inside_the_batch() {
    let sim = TestSim::quick().await;
    let first = sim.post_image("a").await;
    let second = sim.post_image("b").await;
    let ig = sim.account.ig.clone();
    let reply = batch(
        &sim,
        json!([
            {"method": "GET", "relative_url": format!("{ig}/media"), "name": "list"},
            {"method": "GET", "relative_url": "?ids={result=list:$.data.*.id}&fields=caption"},
        ]),
    )
    .await;
    let parts = reply.body.as_array().expect("an array");
    let both = body_of(&parts[1]);
    assert_eq!(both[&first]["caption"], "a");
    assert_eq!(both[&second]["caption"], "b");
}

#[tokio::test]
async fn more_than_50_parts_are_refused() {
    let sim = TestSim::quick().await;
    let parts: Vec<Value> = (0..51)
        .map(|_| json!({"method": "GET", "relative_url": "me"}))
        .collect();
    batch(&sim, Value::Array(parts))
        .await
        .assert_error(400, 100, None);
}

#[tokio::test]
async fn each_part_counts_as_a_call_but_the_batch_as_one_round_trip() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    sim.sim.reset_counters();
    let parts: Vec<Value> = (0..3)
        .map(|_| json!({"method": "GET", "relative_url": ig.clone()}))
        .collect();
    batch(&sim, Value::Array(parts)).await;
    let counters = sim.sim.counters();
    assert_eq!(counters.round_trips, 1);
    assert_eq!(counters.calls_of("user.get", "ok"), 3);
    assert_eq!(counters.round_trips_by_endpoint.get("batch"), Some(&1));
}

#[tokio::test]
async fn a_multi_get_answers_an_object_keyed_by_id_and_counts_each_id() {
    let sim = TestSim::quick().await;
    let a = sim.image_container(&[]).await;
    let b = sim.image_container(&[]).await;
    sim.sim.reset_counters();
    let reply = sim
        .get(
            "v25.0/",
            &[
                ("ids", &format!("{a},{b}")),
                ("fields", "id,status,status_code"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body[&a]["status_code"], "FINISHED");
    assert_eq!(reply.body[&b]["id"], b.as_str());
    assert_eq!(reply.body.as_object().map(|o| o.len()), Some(2));
    let counters = sim.sim.counters();
    assert_eq!(counters.round_trips, 1);
    assert_eq!(counters.calls_of("container.get", "ok"), 2);
}

#[tokio::test]
async fn an_unknown_id_fails_the_whole_multi_get() {
    let sim = TestSim::quick().await;
    let a = sim.image_container(&[]).await;
    let reply = sim
        .get("v25.0/", &[("ids", &format!("{a},17999999999999999"))])
        .await;
    reply.assert_error(400, 100, Some(33));
    let many: Vec<String> = (0..51).map(|_| a.clone()).collect();
    sim.get("v25.0/", &[("ids", &many.join(","))])
        .await
        .assert_error(400, 100, None);
}

#[tokio::test]
async fn a_part_with_its_own_bad_token_gets_190_with_www_authenticate() {
    let sim = TestSim::quick().await;
    let reply = batch(
        &sim,
        json!([{"method": "GET", "relative_url": format!("{}?access_token=EAAGbroken", sim.account.ig)}]),
    )
    .await;
    let part = &reply.body[0];
    assert_eq!(part["code"], 400);
    assert_eq!(body_of(part)["error"]["code"], 190);
    let headers = part["headers"].as_array().expect("headers");
    assert!(headers.iter().any(|h| h["name"] == "WWW-Authenticate"));
}

#[tokio::test]
async fn parts_on_the_batch_token_inherit_its_proof_and_parts_with_their_own_token_prove_it() {
    let sim = TestSim::start(igpub_sim::SimConfig {
        require_appsecret_proof: true,
        fetch_media: false,
        ..igpub_sim::SimConfig::instant()
    })
    .await;
    let ig = sim.account.ig.clone();
    let outer_proof = crate::tokens::proof(&sim.account.app_secret, &sim.account.page_token);
    let parts = json!([
        {"method": "GET", "relative_url": format!("{ig}?fields=username")},
        {"method": "GET", "relative_url": format!(
            "{ig}?fields=username&access_token={}", sim.account.page_token)},
    ]);
    let reply = sim
        .post(
            "v25.0/",
            &[
                ("batch", &parts.to_string()),
                ("appsecret_proof", &outer_proof),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answers = reply.body.as_array().expect("an array");
    assert_eq!(answers[0]["code"], 200, "{}", answers[0]);
    assert_eq!(answers[1]["code"], 400, "{}", answers[1]);
    assert_eq!(
        body_of(&answers[1])["error"]["message"],
        "API calls from the server require an appsecret_proof argument"
    );
}
