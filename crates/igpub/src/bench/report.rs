//! The figures of one `igpub bench publish` run, computed from raw measurements by pure functions
//! so they can be tested without running anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Everything one run measured. `--json` prints it as one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishReport {
    /// Posts created.
    pub posts: usize,
    /// Posts the store shows as published.
    pub published: usize,
    /// Posts the store shows as failed.
    pub failed: usize,
    /// Media Meta (the simulator) published more than once for one post.
    pub duplicates: usize,
    /// Posts the store calls published that Meta never published, plus posts not published.
    pub lost: usize,
    /// From the first due time to the last publish, in seconds.
    pub wall_s: f64,
    /// Posts published per second of `wall_s`.
    pub posts_per_s: f64,
    /// Due → published, median.
    pub p50_ms: f64,
    /// Due → published, 95th percentile.
    pub p95_ms: f64,
    /// Due → published, 99th percentile.
    pub p99_ms: f64,
    /// Due → published, the slowest post.
    pub max_ms: f64,
    /// Graph API calls (batch sub-requests counted one each) per post.
    pub calls_per_post: f64,
    /// Graph API calls per post, by endpoint.
    pub calls_per_post_by_endpoint: BTreeMap<String, f64>,
    /// HTTP requests that reached the simulator, per post.
    pub round_trips_per_post: f64,
    /// Worker CPU time (user + system, every worker) per post, in milliseconds.
    pub cpu_ms_per_post: f64,
    /// The largest peak resident set of any worker, in MiB.
    pub peak_rss_mb: f64,
    /// Worker processes.
    pub workers: usize,
    /// CPU milliseconds of each worker, to see how evenly the work was shared.
    pub cpu_ms_by_worker: Vec<f64>,
    /// How far the last insert ran past the first due time (0 when it finished in time); a
    /// positive value means the burst was not fully queued when it fell due.
    pub insert_overrun_ms: f64,
    /// Whether every post settled before the timeout.
    pub completed: bool,
}

/// The `q`-quantile (0.0–1.0) of `sorted` by the nearest-rank method; 0 for no samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let q = q.clamp(0.0, 1.0);
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    let rank = (q * sorted.len() as f64).ceil() as usize;
    let index = rank.saturating_sub(1).min(sorted.len() - 1);
    sorted.get(index).copied().unwrap_or(0.0)
}

/// `value / posts`, or 0 when there are no posts.
pub fn per_post(value: f64, posts: usize) -> f64 {
    if posts == 0 {
        0.0
    } else {
        value / posts as f64
    }
}

/// What the ground truth says about each post, matched by caption (every bench caption is
/// unique): how many were published twice and how many never were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TruthCheck {
    /// Extra publications of a caption beyond the first.
    pub duplicates: usize,
    /// Captions of the run that Meta never published.
    pub lost: usize,
}

/// Compares the run's captions with the captions Meta published.
pub fn check_truth<'a>(
    expected: impl IntoIterator<Item = &'a str>,
    published: impl IntoIterator<Item = &'a str>,
) -> TruthCheck {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for caption in published {
        *seen.entry(caption).or_default() += 1;
    }
    let mut check = TruthCheck::default();
    for caption in expected {
        match seen.get(caption) {
            None | Some(0) => check.lost += 1,
            Some(&n) => check.duplicates += n - 1,
        }
    }
    check
}

impl PublishReport {
    /// The human summary printed without `--json`.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "posts {}  published {}  failed {}  duplicates {}  lost {}{}",
            self.posts,
            self.published,
            self.failed,
            self.duplicates,
            self.lost,
            if self.completed { "" } else { "  (TIMED OUT)" }
        );
        let _ = writeln!(
            text,
            "wall {:.2} s  {:.1} posts/s  due→published p50 {:.0} ms  p95 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
            self.wall_s, self.posts_per_s, self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        );
        let _ = writeln!(
            text,
            "graph calls/post {:.2}  round trips/post {:.2}",
            self.calls_per_post, self.round_trips_per_post
        );
        for (endpoint, calls) in &self.calls_per_post_by_endpoint {
            let _ = writeln!(text, "  {endpoint:<40} {calls:.3}");
        }
        let _ = writeln!(
            text,
            "workers {}  cpu {:.3} ms/post  peak rss {:.1} MiB",
            self.workers, self.cpu_ms_per_post, self.peak_rss_mb
        );
        if self.insert_overrun_ms > 0.0 {
            let _ = writeln!(
                text,
                "note: inserting the posts ran {:.0} ms past their due time",
                self.insert_overrun_ms
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&samples, 0.5), 50.0);
        assert_eq!(quantile(&samples, 0.95), 95.0);
        assert_eq!(quantile(&samples, 0.99), 99.0);
        assert_eq!(quantile(&samples, 1.0), 100.0);
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn quantile_of_nothing_is_zero_not_a_panic() {
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[1.0, 2.0], f64::NAN), 1.0);
    }

    #[test]
    fn per_post_of_no_posts_is_zero() {
        assert_eq!(per_post(10.0, 0), 0.0);
        assert_eq!(per_post(10.0, 4), 2.5);
    }

    #[test]
    fn truth_check_counts_doubles_and_missing_captions() {
        let check = check_truth(["a", "b", "c"], ["a", "a", "a", "c", "unrelated"]);
        assert_eq!(
            check,
            TruthCheck {
                duplicates: 2,
                lost: 1
            }
        );
    }
}
