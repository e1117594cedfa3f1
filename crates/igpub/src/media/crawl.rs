//! Fetching a URL the way Meta's crawler does (graph-api.md §10 last bullet: "We cURL"):
//! `User-Agent: facebookexternalhit/1.1`, no cookies, no credentials, a bounded number of
//! redirects followed by hand and re-vetted at every hop, bounded size and time, and a range
//! request so a 300 MB video is never downloaded to read its header.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{StatusCode, redirect};
use url::Url;

use super::ssrf::{AddressPolicy, NonPublic, Resolver, UrlRefusal, parse_fetchable_url, vet_url};

/// The User-Agent Meta's crawler sends; servers that gate on it must see the same.
pub const CRAWLER_USER_AGENT: &str = "facebookexternalhit/1.1";

/// How the crawler behaves.
#[derive(Debug, Clone)]
pub struct CrawlerConfig {
    /// Which hosts may be fetched.
    pub policy: AddressPolicy,
    /// Redirects followed at most before giving up.
    pub max_redirects: usize,
    /// Time allowed for one fetch, all hops and the body included.
    pub timeout: Duration,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::default(),
            max_redirects: 5,
            timeout: Duration::from_secs(20),
        }
    }
}

/// A non-public host that `allow_private_hosts` let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateHop {
    /// The URL of the hop.
    pub url: Url,
    /// The address it resolved to.
    pub ip: IpAddr,
    /// Why the address is not public.
    pub why: NonPublic,
}

/// The answer to a fetch: status, headers that matter, and at most the requested bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub final_url: Url,
    /// How many redirects were followed.
    pub redirects: usize,
    /// The final status.
    pub status: StatusCode,
    /// The Content-Type header, if any.
    pub content_type: Option<String>,
    /// The full size of the resource: the Content-Range total of a 206, or the
    /// Content-Length of a 200.
    pub total_size: Option<u64>,
    /// The server answered the range request with 206.
    pub range_honoured: bool,
    /// The first bytes of the requested range (never more than asked for).
    pub body: Vec<u8>,
    /// Hops that were allowed only because private hosts are allowed.
    pub private_hops: Vec<PrivateHop>,
}

/// Why a fetch produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL (or a redirect target) was refused before any byte was sent to it.
    #[error("{}{refusal}", via_redirect.as_ref().map(|from| format!("a redirect from {from} leads to {url}: ")).unwrap_or_default())]
    Refused {
        /// The refused URL, as written.
        url: String,
        /// Set when a redirect led there: the URL that redirected.
        via_redirect: Option<Url>,
        /// Why it was refused.
        refusal: UrlRefusal,
    },
    /// More redirects than allowed.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The bound.
        max: usize,
    },
    /// A redirect without a usable Location header.
    #[error("a {status} redirect from {from} has no usable Location header")]
    BadRedirect {
        /// The redirect status.
        status: StatusCode,
        /// The URL that redirected.
        from: Url,
    },
    /// The whole fetch took longer than allowed.
    #[error("no complete answer within {}s", after.as_secs_f64())]
    Timeout {
        /// The bound.
        after: Duration,
    },
    /// Connecting or reading failed.
    #[error("the request to {url} failed: {reason}")]
    Transport {
        /// The URL being fetched.
        url: Url,
        /// The transport's reason (never contains credentials: URLs carry none).
        reason: String,
    },
}

/// Fetches URLs like Meta's crawler, behind the address guard.
#[derive(Clone)]
pub struct Crawler {
    config: CrawlerConfig,
    resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for Crawler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Crawler {
    /// A crawler with this configuration and resolver.
    pub fn new(config: CrawlerConfig, resolver: Arc<dyn Resolver>) -> Self {
        Self { config, resolver }
    }

    /// The configuration in force.
    pub fn config(&self) -> &CrawlerConfig {
        &self.config
    }

    /// GET `raw_url` asking for bytes `start..start + max_bytes`, and read at most `max_bytes`
    /// of the body. Any final status is an answer; only refusals and transport failures are
    /// errors. When the server ignores the range and `start > 0`, the body is left empty.
    pub async fn fetch_range(
        &self,
        raw_url: &str,
        start: u64,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let after = self.config.timeout;
        tokio::time::timeout(after, self.fetch_range_unbounded(raw_url, start, max_bytes))
            .await
            .map_err(|_| FetchError::Timeout { after })?
    }

    async fn fetch_range_unbounded(
        &self,
        raw_url: &str,
        start: u64,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let refused = |url: &str, via: Option<Url>, refusal| FetchError::Refused {
            url: url.to_owned(),
            via_redirect: via,
            refusal,
        };
        let mut url = parse_fetchable_url(raw_url).map_err(|r| refused(raw_url, None, r))?;
        let mut via: Option<Url> = None;
        let mut private_hops = Vec::new();
        for redirects in 0..=self.config.max_redirects {
            let vetted = vet_url(&url, &self.config.policy, self.resolver.as_ref())
                .await
                .map_err(|r| refused(url.as_str(), via.clone(), r))?;
            if let Some((ip, why)) = vetted.private {
                private_hops.push(PrivateHop {
                    url: url.clone(),
                    ip,
                    why,
                });
            }
            let client =
                pinned_client(vetted.domain.as_deref(), &vetted.addrs, self.config.timeout)
                    .map_err(|e| transport(&url, &e, self.config.timeout))?;
            // At least one byte: `bytes=5-4` would be an invalid range.
            let last = start
                .saturating_add(max_bytes.max(1) as u64)
                .saturating_sub(1);
            let mut response = client
                .get(url.clone())
                .header(RANGE, format!("bytes={start}-{last}"))
                .send()
                .await
                .map_err(|e| transport(&url, &e, self.config.timeout))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next =
                    redirect_target(&response, &url).ok_or_else(|| FetchError::BadRedirect {
                        status,
                        from: url.clone(),
                    })?;
                let next = next.map_err(|(raw, r)| refused(&raw, Some(url.clone()), r))?;
                via = Some(std::mem::replace(&mut url, next));
                continue;
            }
            let headers = response.headers();
            let content_type = header_text(headers, CONTENT_TYPE);
            let range_honoured = status == StatusCode::PARTIAL_CONTENT;
            // A 206 and a 416 both carry the full size in Content-Range.
            let total_size = if range_honoured || status == StatusCode::RANGE_NOT_SATISFIABLE {
                header_text(headers, CONTENT_RANGE)
                    .as_deref()
                    .and_then(content_range_total)
            } else {
                header_text(headers, CONTENT_LENGTH).and_then(|v| v.trim().parse().ok())
            };
            let mut body = Vec::new();
            let want_body = status.is_success() && (range_honoured || start == 0);
            while want_body && body.len() < max_bytes {
                match response
                    .chunk()
                    .await
                    .map_err(|e| transport(&url, &e, self.config.timeout))?
                {
                    Some(chunk) => body.extend_from_slice(&chunk),
                    None => break,
                }
            }
            body.truncate(max_bytes);
            return Ok(Fetched {
                final_url: url,
                redirects,
                status,
                content_type,
                total_size,
                range_honoured,
                body,
                private_hops,
            });
        }
        Err(FetchError::TooManyRedirects {
            max: self.config.max_redirects,
        })
    }
}

fn transport(url: &Url, error: &reqwest::Error, after: Duration) -> FetchError {
    if error.is_timeout() {
        return FetchError::Timeout { after };
    }
    // reqwest's own message only says "error sending request"; the cause is in the chain.
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Transport {
        url: url.clone(),
        reason,
    }
}

/// A client that connects to the vetted addresses only, sends no cookies (none are stored),
/// ignores proxies from the environment (a proxy would resolve the name again) and follows no
/// redirect by itself.
fn pinned_client(
    domain: Option<&str>,
    addrs: &[std::net::SocketAddr],
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .user_agent(CRAWLER_USER_AGENT)
        .redirect(redirect::Policy::none())
        .no_proxy()
        .timeout(timeout);
    if let Some(domain) = domain {
        builder = builder.resolve_to_addrs(domain, addrs);
    }
    builder.build()
}

/// The next hop of a redirect: `None` when there is no Location, `Err` when it is refused.
fn redirect_target(
    response: &reqwest::Response,
    from: &Url,
) -> Option<Result<Url, (String, UrlRefusal)>> {
    let raw = response.headers().get(LOCATION)?;
    let Ok(raw) = raw.to_str() else {
        // Header bytes outside visible ASCII.
        return Some(Err((
            String::from_utf8_lossy(raw.as_bytes()).into_owned(),
            UrlRefusal::NotAscii,
        )));
    };
    if !raw.is_ascii() {
        return Some(Err((raw.to_owned(), UrlRefusal::NotAscii)));
    }
    Some(match from.join(raw) {
        Ok(next) => parse_fetchable_url(next.as_str()).map_err(|r| (raw.to_owned(), r)),
        Err(e) => Err((
            raw.to_owned(),
            UrlRefusal::Invalid {
                reason: e.to_string(),
            },
        )),
    })
}

fn header_text(
    headers: &reqwest::header::HeaderMap,
    name: reqwest::header::HeaderName,
) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The total of `Content-Range: bytes a-b/total` (or `bytes */total`); `None` for `*`.
pub fn content_range_total(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (_, total) = rest.split_once('/')?;
    total.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::content_range_total;

    #[test]
    fn content_range_total_reads_the_full_size() {
        assert_eq!(content_range_total("bytes 0-1023/146515"), Some(146_515));
        assert_eq!(content_range_total("bytes */1000"), Some(1000));
        assert_eq!(content_range_total("bytes 0-1023/*"), None);
        assert_eq!(content_range_total("items 0-1/2"), None);
    }
}
