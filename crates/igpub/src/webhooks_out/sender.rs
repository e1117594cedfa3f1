//! One delivery attempt: resolve the endpoint's host, refuse private addresses unless allowed
//! (a tenant must not make igpub call into its own network), pin the vetted address, and POST
//! the signed body without following redirects.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::signature::{SIGNATURE_HEADER, sign};
use crate::media::ssrf::{AddressPolicy, Resolver};
use crate::store::DueDelivery;

/// The header naming the event type.
pub const EVENT_HEADER: &str = "x-igpub-event";
/// The header carrying the delivery id (the same on every retry of one delivery).
pub const DELIVERY_HEADER: &str = "x-igpub-delivery";

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, in our words; `None` when delivered (2xx).
    pub error: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

impl AttemptResult {
    /// Whether the receiver took it.
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Sends deliveries.
#[derive(Clone)]
pub struct Sender {
    policy: AddressPolicy,
    resolver: Arc<dyn Resolver>,
    timeout: Duration,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender with this address policy, resolver and per-attempt timeout.
    pub fn new(policy: AddressPolicy, resolver: Arc<dyn Resolver>, timeout: Duration) -> Self {
        Self {
            policy,
            resolver,
            timeout,
        }
    }

    /// Makes one attempt; signed at `now_unix`.
    pub async fn send(&self, delivery: &DueDelivery, now_unix: i64) -> AttemptResult {
        let started = Instant::now();
        let (status, error) = match self.try_send(delivery, now_unix).await {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (
                Some(status),
                Some(format!("the endpoint answered HTTP {status}")),
            ),
            Err(error) => (None, Some(error)),
        };
        AttemptResult {
            status,
            error,
            duration: started.elapsed(),
        }
    }

    async fn try_send(&self, delivery: &DueDelivery, now_unix: i64) -> Result<u16, String> {
        let url =
            Url::parse(&delivery.url).map_err(|error| format!("the URL is invalid: {error}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| "the URL has no host".to_owned())?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "the URL has no port".to_owned())?;
        let address = self.vetted_address(&host).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .resolve(&host, SocketAddr::new(address, port))
            .user_agent(concat!("igpub-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot build an HTTP client: {error}"))?;
        let response = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                sign(&delivery.secret, now_unix, delivery.payload.as_bytes()),
            )
            .header(EVENT_HEADER, &delivery.event_type)
            .header(DELIVERY_HEADER, delivery.id.to_string())
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|error| describe(&error))?;
        Ok(response.status().as_u16())
    }

    async fn vetted_address(&self, host: &str) -> Result<IpAddr, String> {
        let addresses = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => self
                .resolver
                .resolve(host)
                .await
                .map_err(|error| format!("{host} does not resolve: {error}"))?,
        };
        let first = addresses
            .first()
            .copied()
            .ok_or_else(|| format!("{host} resolves to no address"))?;
        if !self.policy.allow_private_hosts {
            // Every address must be public: a name with one private address could be made to
            // resolve to it at the next attempt.
            if let Some((ip, why)) = addresses
                .iter()
                .find_map(|ip| self.policy.non_public_reason(*ip).map(|why| (ip, why)))
            {
                return Err(format!(
                    "{host} resolves to {ip}, {why}; webhooks go to public addresses only"
                ));
            }
        }
        Ok(first)
    }
}

/// A transport failure in a sentence, without the URL (it may carry a token of the tenant's).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the endpoint did not answer in time".to_owned()
    } else if error.is_connect() {
        "the endpoint refused the connection or is unreachable".to_owned()
    } else {
        "the request to the endpoint failed".to_owned()
    }
}
