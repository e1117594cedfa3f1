//! What a chaos run found: the store compared with the simulator's ground truth, the faults
//! that were injected, and how long the queue took to drain after the last of them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::store::{Post, PostId, PostState};

/// What a chaos run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChaosReport {
    /// Posts created.
    pub posts: usize,
    /// Posts the store says are published.
    pub published: usize,
    /// Extra publications at Meta beyond the first, over all posts.
    pub duplicates: usize,
    /// Posts neither published at Meta nor failed in the store.
    pub lost: usize,
    /// Posts the store failed.
    pub failed: usize,
    /// Failed posts by reason.
    pub failed_reasons: BTreeMap<String, usize>,
    /// Posts the store failed although Meta published them.
    pub failed_but_live: usize,
    /// Posts the store says are published that Meta never published.
    pub published_but_missing: usize,
    /// Worker processes killed.
    pub kills: usize,
    /// Database restarts done.
    pub database_restarts: usize,
    /// Page tokens expired at the simulator.
    pub token_expiries: usize,
    /// Accounts reconnected with a fresh Page token.
    pub reconnects: usize,
    /// Posts that were held for a reconnect at some point (their timeline says so).
    pub held_seen: usize,
    /// Posts still held when the run ended (a reconnect that did not resume them).
    pub held_at_end: usize,
    /// Worker processes that exited without being killed (should be 0).
    pub worker_exits: usize,
    /// Every fault as it happened: seconds from the start, and what.
    pub timeline: Vec<(f64, String)>,
    /// Every post settled before the timeout.
    pub completed: bool,
    /// Seconds from the start to the last fault (kill, restart done, expiry, reconnect).
    pub last_fault_s: f64,
    /// Seconds from the last fault until every post settled; `None` when they never did.
    pub drain_s: Option<f64>,
    /// Seconds from the first post due to the last settled (or to the give-up).
    pub wall_s: f64,
}

/// Seconds from the last fault (the start when there was none) to the moment every post
/// settled; 0 when they settled before it, `None` when they never did.
pub fn drain_seconds(last_fault: Option<Duration>, settled_at: Option<Duration>) -> Option<f64> {
    let settled_at = settled_at?;
    Some(
        settled_at
            .saturating_sub(last_fault.unwrap_or(Duration::ZERO))
            .as_secs_f64(),
    )
}

/// Counts what the store says about this run's posts against what Meta published.
/// `captions` are the run's posts (each caption is unique); `live` counts the media at Meta
/// by caption; `held` are the posts whose timeline went through `held`.
pub fn tally(
    report: &mut ChaosReport,
    rows: &[Post],
    captions: &HashSet<String>,
    live: &HashMap<String, usize>,
    held: &HashSet<PostId>,
) {
    for post in rows {
        let caption = post.input.caption.as_deref().unwrap_or_default();
        if !captions.contains(caption) {
            continue;
        }
        if held.contains(&post.id) {
            report.held_seen += 1;
        }
        let at_meta = live.get(caption).copied().unwrap_or(0);
        report.duplicates += at_meta.saturating_sub(1);
        match post.state {
            PostState::Published => {
                report.published += 1;
                if at_meta == 0 {
                    report.published_but_missing += 1;
                }
            }
            PostState::Failed => {
                report.failed += 1;
                if at_meta > 0 {
                    report.failed_but_live += 1;
                }
                let reason = post
                    .failure
                    .as_ref()
                    .map(|failure| failure.message.chars().take(100).collect())
                    .unwrap_or_else(|| "unknown".to_owned());
                *report.failed_reasons.entry(reason).or_default() += 1;
            }
            state => {
                if state == PostState::Held {
                    report.held_at_end += 1;
                }
                if at_meta == 0 {
                    report.lost += 1;
                }
            }
        }
    }
}

/// The printed summary.
pub fn summary(report: &ChaosReport) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "igpub bench chaos: {} posts, {:.1} s{}",
        report.posts,
        report.wall_s,
        if report.completed { "" } else { " (TIMED OUT)" }
    );
    let _ = writeln!(
        text,
        "  faults                {} worker kills, {} database restarts, {} token expiries, {} reconnects",
        report.kills, report.database_restarts, report.token_expiries, report.reconnects
    );
    let _ = writeln!(text, "  published             {}", report.published);
    let _ = writeln!(text, "  duplicates            {}", report.duplicates);
    let _ = writeln!(text, "  lost                  {}", report.lost);
    let _ = writeln!(text, "  failed                {}", report.failed);
    for (reason, count) in &report.failed_reasons {
        let _ = writeln!(text, "    {count:>5}  {reason}");
    }
    let _ = writeln!(text, "  failed but live       {}", report.failed_but_live);
    let _ = writeln!(
        text,
        "  published but missing {}",
        report.published_but_missing
    );
    let _ = writeln!(text, "  held (seen)           {}", report.held_seen);
    let _ = writeln!(text, "  held at the end       {}", report.held_at_end);
    let _ = writeln!(text, "  worker exits          {}", report.worker_exits);
    for (at, what) in &report.timeline {
        let _ = writeln!(text, "    {at:>7.1} s  {what}");
    }
    let drain = report.drain_s.map_or_else(
        || "never (not every post settled)".to_owned(),
        |s| format!("{s:.1} s"),
    );
    let _ = writeln!(
        text,
        "  drain                 {drain} after the last fault at {:.1} s",
        report.last_fault_s
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_runs_from_the_last_fault_to_the_last_settled_post() {
        let drain = drain_seconds(
            Some(Duration::from_millis(12_500)),
            Some(Duration::from_millis(20_000)),
        );
        assert_eq!(drain, Some(7.5));
    }

    #[test]
    fn posts_settled_before_the_last_fault_drain_in_zero() {
        let drain = drain_seconds(Some(Duration::from_secs(20)), Some(Duration::from_secs(5)));
        assert_eq!(drain, Some(0.0));
    }

    #[test]
    fn without_faults_drain_runs_from_the_start_and_never_without_settling() {
        assert_eq!(drain_seconds(None, Some(Duration::from_secs(3))), Some(3.0));
        assert_eq!(drain_seconds(Some(Duration::from_secs(3)), None), None);
    }

    #[test]
    fn the_summary_names_every_fault_count_reason_and_the_drain() {
        let report = ChaosReport {
            posts: 1000,
            published: 990,
            failed: 10,
            failed_reasons: BTreeMap::from([(
                "(#2) Service temporarily unavailable".to_owned(),
                10,
            )]),
            kills: 5,
            database_restarts: 1,
            token_expiries: 3,
            reconnects: 3,
            held_seen: 12,
            worker_exits: 0,
            completed: true,
            last_fault_s: 14.2,
            drain_s: Some(6.3),
            wall_s: 20.5,
            ..ChaosReport::default()
        };
        let text = summary(&report);
        assert!(
            text.contains("5 worker kills, 1 database restarts, 3 token expiries, 3 reconnects"),
            "{text}"
        );
        assert!(
            text.contains("   10  (#2) Service temporarily unavailable"),
            "{text}"
        );
        assert!(text.contains("held (seen)           12"), "{text}");
        assert!(text.contains("worker exits          0"), "{text}");
        assert!(
            text.contains("drain                 6.3 s after the last fault at 14.2 s"),
            "{text}"
        );
        assert!(!text.contains("TIMED OUT"), "{text}");
    }

    #[test]
    fn an_unsettled_run_says_so() {
        let report = ChaosReport {
            posts: 10,
            completed: false,
            drain_s: None,
            ..ChaosReport::default()
        };
        let text = summary(&report);
        assert!(text.contains("TIMED OUT"), "{text}");
        assert!(text.contains("never (not every post settled)"), "{text}");
    }

    #[test]
    fn the_json_carries_the_new_fields() {
        let report = ChaosReport {
            drain_s: Some(1.5),
            worker_exits: 2,
            ..ChaosReport::default()
        };
        let json = serde_json::to_value(&report).expect("serializes");
        for field in [
            "drain_s",
            "database_restarts",
            "token_expiries",
            "reconnects",
            "held_seen",
            "worker_exits",
        ] {
            assert!(json.get(field).is_some(), "{field} missing from {json}");
        }
        assert_eq!(json["drain_s"], 1.5);
        assert_eq!(json["worker_exits"], 2);
    }
}
