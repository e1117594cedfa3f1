//! When to read a container: its first read at the processing time learned from recent
//! containers of the same kind, and one "probe" container per kind while nothing is learned.
//!
//! Polling is where a publisher loses both time and calls (BENCHMARKS.md): a read that comes
//! too early costs a call, one that comes too late costs latency. A worker that has seen
//! containers finish reads each new one once, at the median time they took. Before that, only
//! the first container of a kind is polled closely (the probe); the others wait for the
//! probe's answer instead of each polling blind, which is what a cold burst of thousands of
//! posts would otherwise do. Workers save what they learned in the store and start from it
//! ([`ProcessingTimes::sync_with`]), so only a deployment's very first containers probe, not
//! every restart's.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::store::{ContainerKind, SharedStore};

/// Samples kept per kind (an odd number, so the median is one of them).
const SAMPLES: usize = 21;

/// Saved processing times older than this are not trusted: Meta's processing time follows its
/// load, and a probe costs only a few reads.
const SAVED_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

/// A container that read FINISHED at its first read may have finished earlier: its sample is
/// this share of the time seen, so the median drifts down until a first read comes too early.
const FIRST_READ_NUDGE: f64 = 0.98;

/// How a worker spaces the reads of one container.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// First read before anything is learned: images.
    pub first_image: Duration,
    /// First read before anything is learned: videos.
    pub first_video: Duration,
    /// After an IN_PROGRESS read, the next one comes after this share of the time the
    /// container has been processing: close reads while short processing is likely, sparse
    /// ones for minutes-long videos.
    pub follow_up_share: f64,
    /// Shortest wait between two reads of one container.
    pub min_interval: Duration,
    /// Longest wait between two reads of one container.
    pub max_interval: Duration,
    /// Learn first reads from finished containers (off only for the seed-style baseline).
    pub learn: bool,
}

impl PollSchedule {
    /// The wait after an IN_PROGRESS read of a container processing for `elapsed`.
    pub fn follow_up(&self, elapsed: Duration) -> Duration {
        let share = if self.follow_up_share.is_finite() && self.follow_up_share > 0.0 {
            self.follow_up_share
        } else {
            1.0
        };
        elapsed
            .mul_f64(share)
            .max(self.min_interval)
            .min(self.max_interval.max(self.min_interval))
    }
}

/// What the waiting containers of one kind watch.
#[derive(Debug, Clone, Copy, Default)]
struct Learning {
    samples: usize,
    probing: bool,
}

/// One kind's recent samples, and how many were recorded in all and when last saved.
#[derive(Debug, Default)]
struct Samples {
    times: VecDeque<Duration>,
    recorded: u64,
    saved: u64,
}

/// One kind's samples and probe.
#[derive(Debug)]
struct Kind {
    samples: Mutex<Samples>,
    initial: Duration,
    learning: watch::Sender<Learning>,
}

impl Kind {
    fn new(initial: Duration) -> Self {
        Self {
            samples: Mutex::new(Samples::default()),
            initial,
            learning: watch::Sender::new(Learning::default()),
        }
    }

    /// Tells the waiting containers how many samples there are now.
    fn announce(&self, count: usize) {
        self.learning
            .send_modify(|learning| learning.samples = learning.samples.max(count));
    }
}

/// Processing times learned from recent containers, per kind (image or video).
#[derive(Debug)]
pub struct ProcessingTimes {
    image: Kind,
    video: Kind,
    learn: bool,
    /// Whether the times saved in the store were read.
    loaded_saved: AtomicBool,
}

/// Held by the one container of a kind polled while nothing is learned; dropping it lets the
/// waiting containers go on (with a sample, or with a new probe if this one failed).
#[derive(Debug)]
pub struct Probe<'a> {
    learning: &'a watch::Sender<Learning>,
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        self.learning
            .send_modify(|learning| learning.probing = false);
    }
}

impl ProcessingTimes {
    /// Starts from the schedule's first reads until containers have been seen.
    pub fn new(schedule: &PollSchedule) -> Self {
        Self {
            image: Kind::new(schedule.first_image),
            video: Kind::new(schedule.first_video),
            learn: schedule.learn,
            loaded_saved: AtomicBool::new(false),
        }
    }

    fn kind(&self, video: bool) -> &Kind {
        if video { &self.video } else { &self.image }
    }

    /// When to read a container of this kind first, after its creation: the median of recent
    /// samples (the lower one of an even count), or the initial guess.
    pub fn expected(&self, video: bool) -> Duration {
        let kind = self.kind(video);
        let samples = kind.samples.lock();
        if samples.times.is_empty() {
            return kind.initial;
        }
        let mut sorted: Vec<Duration> = samples.times.iter().copied().collect();
        sorted.sort_unstable();
        // The lower median: a probe's sample is late by up to one follow-up interval, and a
        // worker with two samples, the probe's and a first read's, should trust the earlier.
        sorted
            .get((sorted.len() - 1) / 2)
            .copied()
            .unwrap_or(kind.initial)
    }

    /// Records that a container read FINISHED `seen_after` its creation; `first_read` says
    /// whether that was its first read (then it may have finished earlier).
    pub fn record(&self, video: bool, seen_after: Duration, first_read: bool) {
        if !self.learn {
            return;
        }
        let sample = if first_read {
            seen_after.mul_f64(FIRST_READ_NUDGE)
        } else {
            seen_after
        };
        let kind = self.kind(video);
        let count = {
            let mut samples = kind.samples.lock();
            if samples.times.len() == SAMPLES {
                samples.times.pop_front();
            }
            samples.times.push_back(sample);
            samples.recorded += 1;
            samples.times.len()
        };
        kind.announce(count);
    }

    /// Starts from the times saved in the store (once, those under a day old), and saves the
    /// samples recorded since the last call, so the next worker need not probe. Store failures
    /// are logged: they cost reads, never correctness.
    pub async fn sync_with(&self, store: &SharedStore) {
        if !self.learn {
            return;
        }
        if !self.loaded_saved.load(Ordering::SeqCst) {
            match store.learned_processing().await {
                Ok(saved) => {
                    let now = store.now();
                    for learned in saved {
                        if now.duration_since(learned.saved_at) <= SAVED_MAX_AGE {
                            self.adopt(learned.kind == ContainerKind::Video, &learned.samples);
                        }
                    }
                    self.loaded_saved.store(true, Ordering::SeqCst);
                }
                Err(error) => tracing::warn!(%error, "cannot read learned processing times"),
            }
        }
        for kind in [ContainerKind::Image, ContainerKind::Video] {
            let Some(samples) = self.take_unsaved(kind == ContainerKind::Video) else {
                continue;
            };
            if let Err(error) = store.save_learned_processing(kind, &samples).await {
                // The next sample brings another try; until then a new worker probes.
                tracing::warn!(%error, kind = kind.as_str(), "cannot save learned processing times");
            }
        }
    }

    /// Starts a kind from samples saved earlier (by this worker before a restart, or by
    /// another), oldest first, unless it has learned its own meanwhile; whether it took them.
    fn adopt(&self, video: bool, saved: &[Duration]) -> bool {
        if !self.learn || saved.is_empty() {
            return false;
        }
        let kind = self.kind(video);
        let count = {
            let mut samples = kind.samples.lock();
            if !samples.times.is_empty() {
                return false;
            }
            let newest = saved.len().saturating_sub(SAMPLES);
            samples.times = saved.iter().skip(newest).copied().collect();
            samples.times.len()
        };
        kind.announce(count);
        true
    }

    /// A kind's samples, oldest first, when some were recorded since the last call (to be
    /// saved for the next worker); `None` when there is nothing new.
    fn take_unsaved(&self, video: bool) -> Option<Vec<Duration>> {
        let mut samples = self.kind(video).samples.lock();
        if samples.recorded == samples.saved {
            return None;
        }
        samples.saved = samples.recorded;
        Some(samples.times.iter().copied().collect())
    }

    /// Before a container's first read: `None` when a processing time is learned (read at
    /// [`expected`](Self::expected)), or `Some(probe)` when this container is to find it out,
    /// polled closely. While another container probes, this waits for its answer.
    pub async fn probe_or_wait(&self, video: bool) -> Option<Probe<'_>> {
        if !self.learn {
            return None;
        }
        let learning = &self.kind(video).learning;
        let mut watching = learning.subscribe();
        loop {
            let claimed = learning.send_if_modified(|state| {
                let free = state.samples == 0 && !state.probing;
                if free {
                    state.probing = true;
                }
                free
            });
            if claimed {
                return Some(Probe { learning });
            }
            if learning.borrow().samples > 0 {
                return None;
            }
            // The sender lives as long as `self`, so this ends with a sample or a free probe.
            if watching
                .wait_for(|state| state.samples > 0 || !state.probing)
                .await
                .is_err()
            {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> PollSchedule {
        PollSchedule {
            first_image: Duration::from_secs(1),
            first_video: Duration::from_secs(10),
            follow_up_share: 0.1,
            min_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(60),
            learn: true,
        }
    }

    #[test]
    fn the_first_read_follows_the_median_of_recent_processing_times() {
        let times = ProcessingTimes::new(&schedule());
        assert_eq!(times.expected(false), Duration::from_secs(1));
        for ms in [100, 300, 200] {
            times.record(false, Duration::from_millis(ms), false);
        }
        assert_eq!(times.expected(false), Duration::from_millis(200));
        assert_eq!(times.expected(true), Duration::from_secs(10));
    }

    #[test]
    fn of_an_even_count_the_lower_median_is_read() {
        let times = ProcessingTimes::new(&schedule());
        times.record(false, Duration::from_millis(2180), false);
        times.record(false, Duration::from_millis(2140), true);
        assert_eq!(
            times.expected(false),
            Duration::from_millis(2140).mul_f64(FIRST_READ_NUDGE)
        );
    }

    #[test]
    fn a_container_finished_at_its_first_read_pulls_the_median_down() {
        let times = ProcessingTimes::new(&schedule());
        times.record(false, Duration::from_millis(1000), true);
        assert!(times.expected(false) < Duration::from_millis(1000));
    }

    #[test]
    fn follow_ups_are_a_share_of_the_processing_so_far_within_bounds() {
        let schedule = schedule();
        assert_eq!(
            schedule.follow_up(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        assert_eq!(
            schedule.follow_up(Duration::from_millis(10)),
            Duration::from_millis(100)
        );
        assert_eq!(
            schedule.follow_up(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn without_learning_nothing_is_recorded() {
        let times = ProcessingTimes::new(&PollSchedule {
            learn: false,
            ..schedule()
        });
        times.record(false, Duration::from_millis(50), false);
        assert_eq!(times.expected(false), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn saved_samples_start_a_cold_kind_and_wake_its_waiting_containers() {
        let times = ProcessingTimes::new(&schedule());
        let probe = times.probe_or_wait(false).await;
        let waiting = times.probe_or_wait(false);
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        let saved: Vec<Duration> = (1..=30).map(|s| Duration::from_millis(s * 100)).collect();
        assert!(times.adopt(false, &saved));
        assert!(waiting.await.is_none(), "adopted samples end the probing");
        drop(probe);
        // The newest 21 of 30 samples (1.0 s to 3.0 s) are kept: their median is 2.0 s.
        assert_eq!(times.expected(false), Duration::from_millis(2000));
        assert_eq!(times.expected(true), Duration::from_secs(10));
        assert_eq!(
            times.take_unsaved(false),
            None,
            "adopted samples are not saved again"
        );
    }

    #[test]
    fn a_kind_that_learned_its_own_keeps_them() {
        let times = ProcessingTimes::new(&schedule());
        times.record(false, Duration::from_millis(700), false);
        assert!(!times.adopt(false, &[Duration::from_secs(5)]));
        assert_eq!(times.expected(false), Duration::from_millis(700));
        let nothing_learned = ProcessingTimes::new(&PollSchedule {
            learn: false,
            ..schedule()
        });
        assert!(!nothing_learned.adopt(false, &[Duration::from_secs(5)]));
        assert_eq!(nothing_learned.expected(false), Duration::from_secs(1));
    }

    #[test]
    fn new_samples_are_handed_out_once_for_saving() {
        let times = ProcessingTimes::new(&schedule());
        assert_eq!(times.take_unsaved(false), None);
        times.record(false, Duration::from_millis(300), false);
        times.record(false, Duration::from_millis(500), false);
        assert_eq!(
            times.take_unsaved(false),
            Some(vec![Duration::from_millis(300), Duration::from_millis(500)])
        );
        assert_eq!(times.take_unsaved(false), None);
        assert_eq!(times.take_unsaved(true), None);
        times.record(false, Duration::from_millis(400), false);
        assert_eq!(
            times.take_unsaved(false).map(|samples| samples.len()),
            Some(3)
        );
    }

    #[tokio::test]
    async fn one_container_probes_and_the_others_wait_for_its_sample() {
        let times = ProcessingTimes::new(&schedule());
        let probe = times.probe_or_wait(false).await;
        assert!(probe.is_some(), "the first container probes");
        let waiting = times.probe_or_wait(false);
        tokio::pin!(waiting);
        assert!(
            futures::poll!(waiting.as_mut()).is_pending(),
            "a second container waits while the first probes"
        );
        times.record(false, Duration::from_millis(400), false);
        assert!(waiting.await.is_none(), "with a sample, nobody probes");
        drop(probe);
        assert!(times.probe_or_wait(false).await.is_none());
        assert!(
            times.probe_or_wait(true).await.is_some(),
            "videos learn apart from images"
        );
    }

    #[tokio::test]
    async fn a_probe_that_ends_without_a_sample_hands_probing_to_a_waiting_container() {
        let times = ProcessingTimes::new(&schedule());
        let probe = times.probe_or_wait(false).await;
        let waiting = times.probe_or_wait(false);
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        drop(probe);
        assert!(waiting.await.is_some(), "the next container probes instead");
    }
}
