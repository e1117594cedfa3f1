//! The pre-flight check: fetch every media URL the way Meta's crawler will, and say exactly
//! what Meta would refuse, before any call to Meta.
//!
//! ```no_run
//! # async fn demo() {
//! use std::sync::Arc;
//! use igpub::media::preflight::{MediaCheckRequest, MediaRole, Preflight, PreflightConfig};
//! use igpub::media::ssrf::SystemResolver;
//!
//! let preflight = Preflight::new(PreflightConfig::default(), Arc::new(SystemResolver));
//! let report = preflight
//!     .check_post(&[MediaCheckRequest { index: 1, url: "https://example.com/a.jpg".into(), role: MediaRole::FeedImage }])
//!     .await;
//! for problem in &report.items[0].problems {
//!     println!("{:?} {}: {}", problem.severity, problem.rule, problem.message);
//! }
//! # }
//! ```

mod image;
mod report;
mod video;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use ipnet::IpNet;
use tokio::sync::OnceCell;
use url::Url;

pub use image::{SniffedFormat, sniff};
pub use report::{
    ItemReport, MediaCheckRequest, MediaFacts, MediaRole, PreflightReport, Problem, Rule, Severity,
};

use super::crawl::{Crawler, CrawlerConfig, FetchError, Fetched};
use super::mp4::{MoovLayout, Mp4Error, Mp4Facts, parse_mp4, parse_mp4_at};
use super::robots;
use super::ssrf::{AddressPolicy, Resolver, UrlRefusal};
use report::Findings;

/// The crawler's product token, as robots.txt groups name it.
const ROBOTS_AGENT: &str = "facebookexternalhit";
/// robots.txt files are small; more than this is not read.
const MAX_ROBOTS_BYTES: usize = 64 * 1024;

/// How the pre-flight fetches and how much it reads.
#[derive(Debug, Clone)]
pub struct PreflightConfig {
    /// Let private hosts through (local development, the demo); each such item gets a warning
    /// that Meta could not fetch it in production.
    pub allow_private_hosts: bool,
    /// Networks treated as public although they are not (tests; empty in production).
    pub trusted_networks: Vec<IpNet>,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Time allowed for one fetch.
    pub timeout: Duration,
    /// Bytes read from an image: enough for JPEG headers behind large EXIF blocks.
    pub image_probe_bytes: usize,
    /// Bytes read from the start of a video, where `moov` should be.
    pub video_probe_bytes: usize,
    /// Largest `moov` fetched separately when it is not in the first bytes.
    pub max_moov_bytes: usize,
    /// Items checked at the same time.
    pub concurrency: usize,
    /// Whether to read robots.txt (a warning when it disallows facebookexternalhit).
    pub check_robots_txt: bool,
}

impl Default for PreflightConfig {
    fn default() -> Self {
        Self {
            allow_private_hosts: false,
            trusted_networks: Vec::new(),
            max_redirects: 5,
            timeout: Duration::from_secs(20),
            image_probe_bytes: 512 * 1024,
            video_probe_bytes: 4 * 1024 * 1024,
            max_moov_bytes: 16 * 1024 * 1024,
            concurrency: 4,
            check_robots_txt: true,
        }
    }
}

/// Checks media URLs against Meta's rules.
#[derive(Debug, Clone)]
pub struct Preflight {
    config: PreflightConfig,
    crawler: Crawler,
}

/// robots.txt bodies by origin, fetched once per post however many items share a host.
type RobotsCache = parking_lot::Mutex<HashMap<String, Arc<OnceCell<Option<String>>>>>;

impl Preflight {
    /// A pre-flight with this configuration, resolving names through `resolver`.
    pub fn new(config: PreflightConfig, resolver: Arc<dyn Resolver>) -> Self {
        let crawler = Crawler::new(
            CrawlerConfig {
                policy: AddressPolicy {
                    allow_private_hosts: config.allow_private_hosts,
                    trusted_networks: config.trusted_networks.clone(),
                },
                max_redirects: config.max_redirects,
                timeout: config.timeout,
            },
            resolver,
        );
        Self { config, crawler }
    }

    /// The crawler the checks fetch with (also usable to re-fetch hosted media).
    pub fn crawler(&self) -> &Crawler {
        &self.crawler
    }

    /// Check one item.
    pub async fn check_item(&self, request: &MediaCheckRequest) -> ItemReport {
        self.check_with_cache(request, &RobotsCache::default())
            .await
    }

    /// Check every item of a post, a bounded number at a time; reports come back in request
    /// order.
    pub async fn check_post(&self, items: &[MediaCheckRequest]) -> PreflightReport {
        let cache = RobotsCache::default();
        // The futures are built eagerly: a stream mapping through a closure that borrows
        // would make this future's `Send` bound higher-ranked, and `tokio::spawn` rejects it.
        let checks: Vec<_> = items
            .iter()
            .map(|item| self.check_with_cache(item, &cache))
            .collect();
        let reports = futures::stream::iter(checks)
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await;
        PreflightReport { items: reports }
    }

    async fn check_with_cache(
        &self,
        request: &MediaCheckRequest,
        robots: &RobotsCache,
    ) -> ItemReport {
        let mut findings = Findings::new(request);
        let mut facts = MediaFacts::default();
        let probe = if request.role.is_video() {
            self.config.video_probe_bytes
        } else {
            self.config.image_probe_bytes
        };
        match self.crawler.fetch_range(&request.url, 0, probe).await {
            Err(error) => report_fetch_error(&error, &mut findings),
            Ok(fetched) => {
                self.check_answer(request, &fetched, probe, robots, &mut facts, &mut findings)
                    .await
            }
        }
        ItemReport {
            index: request.index,
            url: request.url.clone(),
            role: request.role,
            problems: findings.into_sorted(),
            facts,
        }
    }

    async fn check_answer(
        &self,
        request: &MediaCheckRequest,
        fetched: &Fetched,
        probe: usize,
        robots: &RobotsCache,
        facts: &mut MediaFacts,
        findings: &mut Findings,
    ) {
        facts.final_url = Some(fetched.final_url.to_string());
        facts.status = Some(fetched.status.as_u16());
        facts.content_type = fetched.content_type.clone();
        facts.size = fetched.total_size;
        for hop in &fetched.private_hops {
            findings.warning(
                Rule::PublicHost,
                Some(hop.ip.to_string()),
                format!(
                    "{} resolves to {}, {}: allowed here, but Meta could not fetch it in production (9004/2207052)",
                    hop.url.host_str().unwrap_or_default(),
                    hop.ip,
                    hop.why
                ),
            );
        }
        if fetched.redirects > 0 {
            // graph-api.md §10: Meta's crawler fails on URLs that redirect. They are followed
            // (within the bound) only to name the URL to give instead.
            findings.error(
                Rule::Redirects,
                Some(fetched.redirects.to_string()),
                format!(
                    "the URL redirects {} time(s) to {}; Meta's crawler does not follow redirects (9004/2207052), so give the final URL",
                    fetched.redirects, fetched.final_url
                ),
            );
        }
        if !fetched.status.is_success() {
            let hint = match fetched.status.as_u16() {
                401 | 403 => {
                    "; the media seems to be behind a login, and Meta's crawler sends no cookies or credentials"
                }
                _ => "",
            };
            findings.error(
                Rule::HttpStatus,
                Some(fetched.status.as_u16().to_string()),
                format!("the server answers {}{hint} (9004/2207052)", fetched.status),
            );
            return;
        }
        if self.config.check_robots_txt {
            self.check_robots(&request.url, robots, findings).await;
        }
        let complete = fetched
            .total_size
            .is_some_and(|total| fetched.body.len() as u64 >= total)
            || (!fetched.range_honoured && fetched.body.len() < probe);
        if request.role.is_video() {
            self.check_video(request, fetched, complete, facts, findings)
                .await;
        } else {
            image::check_image(&fetched.body, complete, request.role, facts, findings);
        }
    }

    async fn check_video(
        &self,
        request: &MediaCheckRequest,
        fetched: &Fetched,
        complete: bool,
        facts: &mut MediaFacts,
        findings: &mut Findings,
    ) {
        let parsed = parse_mp4(&fetched.body);
        if let Err(Mp4Error::NoMoov { scanned }) = parsed {
            facts.format = Some("MP4".into());
            let text = if complete {
                "the file has no moov box, so Meta cannot read it (352/2207026)".to_owned()
            } else {
                format!(
                    "no moov box in the first {scanned} bytes; Meta wants the moov atom at the front (352/2207026)"
                )
            };
            findings.error(Rule::MoovAtFront, None, text);
            return;
        }
        video::check_container(&fetched.body, &parsed, request.role, facts, findings);
        let Ok(head) = parsed else { return };
        let movie = match head.layout {
            MoovLayout::MoovFirst => Some(head),
            MoovLayout::MdatFirst { next_box_offset } => {
                // graph-api.md §2.3: "moov atom at front".
                findings.error(
                    Rule::MoovAtFront,
                    Some("moov after mdat".into()),
                    "the moov atom comes after the media data; Meta wants it at the front (re-mux with faststart) (352/2207026)",
                );
                match next_box_offset {
                    Some(offset) if fetched.range_honoured => {
                        self.fetch_moov(&request.url, offset, self.config.max_moov_bytes)
                            .await
                    }
                    _ => None,
                }
            }
            MoovLayout::MoovTruncated { offset, size } if fetched.range_honoured => {
                match usize::try_from(size)
                    .ok()
                    .filter(|s| *s <= self.config.max_moov_bytes)
                {
                    Some(size) => self.fetch_moov(&request.url, offset, size).await,
                    None => None,
                }
            }
            MoovLayout::MoovTruncated { .. } => None,
        };
        match movie {
            Some(movie) => video::check_movie(&movie, request.role, facts, findings),
            None => findings.warning(
                Rule::VideoContainer,
                None,
                "the moov box could not be read from the first bytes, so codecs, duration and frame rate are unchecked",
            ),
        }
    }

    /// Fetch and parse the `moov` that starts at `offset`, when the server honours ranges.
    async fn fetch_moov(&self, url: &str, offset: u64, max_bytes: usize) -> Option<Mp4Facts> {
        let tail = self
            .crawler
            .fetch_range(url, offset, max_bytes)
            .await
            .ok()?;
        if !tail.range_honoured {
            return None;
        }
        let movie = parse_mp4_at(&tail.body, offset).ok()?;
        (!movie.tracks.is_empty()).then_some(movie)
    }

    async fn check_robots(&self, raw_url: &str, cache: &RobotsCache, findings: &mut Findings) {
        let Ok(url) = Url::parse(raw_url) else { return };
        let origin = url.origin().ascii_serialization();
        let cell = cache.lock().entry(origin.clone()).or_default().clone();
        let body = cell
            .get_or_init(|| async {
                let robots_url = format!("{origin}/robots.txt");
                match self
                    .crawler
                    .fetch_range(&robots_url, 0, MAX_ROBOTS_BYTES)
                    .await
                {
                    Ok(answer) if answer.status.is_success() => {
                        Some(String::from_utf8_lossy(&answer.body).into_owned())
                    }
                    _ => None,
                }
            })
            .await;
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        if let Some(body) = body
            && robots::disallows(body, ROBOTS_AGENT, &path)
        {
            findings.warning(
                Rule::RobotsTxt,
                Some(path.clone()),
                format!("{origin}/robots.txt disallows facebookexternalhit from {path}; Meta's crawler may refuse to fetch it"),
            );
        }
    }
}

fn report_fetch_error(error: &FetchError, findings: &mut Findings) {
    let rule = match error {
        FetchError::Refused { refusal, .. } => match refusal {
            UrlRefusal::NotPublic { .. } => Rule::PublicHost,
            UrlRefusal::Unresolvable { .. } => Rule::Fetch,
            UrlRefusal::NotAscii
            | UrlRefusal::Invalid { .. }
            | UrlRefusal::UnsupportedScheme { .. }
            | UrlRefusal::Credentials
            | UrlRefusal::NoHost => Rule::UrlShape,
        },
        FetchError::TooManyRedirects { .. } | FetchError::BadRedirect { .. } => Rule::Redirects,
        FetchError::Timeout { .. } | FetchError::Transport { .. } => Rule::Fetch,
    };
    let measured = match error {
        FetchError::Refused {
            refusal: UrlRefusal::NotPublic { ip, .. },
            ..
        } => Some(ip.to_string()),
        _ => None,
    };
    findings.error(rule, measured, format!("{error} (9004/2207052)"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ssrf::StaticResolver;

    /// The worker spawns the check on the runtime, so its future must be `Send + 'static`
    /// once it owns its inputs.
    #[tokio::test]
    async fn a_post_check_can_be_spawned_on_the_runtime() {
        let preflight = Preflight::new(PreflightConfig::default(), Arc::new(StaticResolver::new()));
        let items = vec![MediaCheckRequest {
            index: 1,
            url: "ftp://example.com/a.jpg".into(),
            role: MediaRole::FeedImage,
        }];
        let report = tokio::spawn(async move { preflight.check_post(&items).await })
            .await
            .unwrap();
        assert_eq!(report.items[0].problems[0].rule, Rule::UrlShape);
    }
}
