//! When the faults of a chaos run happen: kills, database restarts and token expiries in a
//! random order, a random pause apart, each expiry followed by its reconnect.

use std::time::Duration;

use rand::Rng;
use rand::seq::SliceRandom as _;

/// The shortest pause between two planned faults, ms.
const MIN_PAUSE_MS: u64 = 500;
/// The longest pause between two planned faults, ms.
const MAX_PAUSE_MS: u64 = 2500;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL a random worker process and start a new one.
    KillWorker,
    /// Restart the database server.
    RestartDatabase,
    /// Expire the Page token of a random account; `n` pairs it with its reconnect.
    ExpireToken(usize),
    /// Give the account of expiry `n` a fresh Page token.
    Reconnect(usize),
}

/// A fault and when it happens, counted from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedFault {
    /// When.
    pub at: Duration,
    /// What.
    pub fault: Fault,
}

/// How many faults of each kind a run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultCounts {
    /// Worker kills.
    pub kills: usize,
    /// Database restarts.
    pub database_restarts: usize,
    /// Token expiries (each gets a reconnect).
    pub token_expiries: usize,
}

/// The faults of a run, in time order: the kills, restarts and expiries shuffled and spaced
/// 0.5–2.5 s apart (so the workers are busy when they land), and each reconnect
/// `reconnect_after` after its expiry.
pub fn plan(
    counts: FaultCounts,
    reconnect_after: Duration,
    rng: &mut impl Rng,
) -> Vec<PlannedFault> {
    let mut kinds: Vec<Fault> = std::iter::repeat_n(Fault::KillWorker, counts.kills)
        .chain(std::iter::repeat_n(
            Fault::RestartDatabase,
            counts.database_restarts,
        ))
        .chain((0..counts.token_expiries).map(Fault::ExpireToken))
        .collect();
    kinds.shuffle(rng);
    let mut at = Duration::ZERO;
    let mut planned = Vec::with_capacity(kinds.len() + counts.token_expiries);
    for fault in kinds {
        at += Duration::from_millis(rng.random_range(MIN_PAUSE_MS..=MAX_PAUSE_MS));
        planned.push(PlannedFault { at, fault });
        if let Fault::ExpireToken(n) = fault {
            planned.push(PlannedFault {
                at: at + reconnect_after,
                fault: Fault::Reconnect(n),
            });
        }
    }
    // Stable: an expiry stays before its reconnect even with a zero delay.
    planned.sort_by_key(|planned| planned.at);
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    fn counts() -> FaultCounts {
        FaultCounts {
            kills: 5,
            database_restarts: 1,
            token_expiries: 3,
        }
    }

    #[test]
    fn every_fault_is_planned_once_and_in_time_order() {
        for seed in 0..50 {
            let plan = plan(
                counts(),
                Duration::from_millis(1500),
                &mut StdRng::seed_from_u64(seed),
            );
            let count =
                |wanted: fn(&Fault) -> bool| plan.iter().filter(|p| wanted(&p.fault)).count();
            assert_eq!(count(|f| *f == Fault::KillWorker), 5);
            assert_eq!(count(|f| *f == Fault::RestartDatabase), 1);
            assert_eq!(count(|f| matches!(f, Fault::ExpireToken(_))), 3);
            assert_eq!(count(|f| matches!(f, Fault::Reconnect(_))), 3);
            assert!(plan.windows(2).all(|pair| pair[0].at <= pair[1].at));
            assert!(
                plan.iter()
                    .all(|p| p.at >= Duration::from_millis(MIN_PAUSE_MS))
            );
        }
    }

    #[test]
    fn each_reconnect_follows_its_expiry_by_the_delay() {
        let delay = Duration::from_millis(1500);
        let plan = plan(counts(), delay, &mut StdRng::seed_from_u64(7));
        for n in 0..3 {
            let expiry = plan
                .iter()
                .find(|p| p.fault == Fault::ExpireToken(n))
                .expect("expiry planned");
            let reconnect = plan
                .iter()
                .find(|p| p.fault == Fault::Reconnect(n))
                .expect("reconnect planned");
            assert_eq!(reconnect.at - expiry.at, delay);
        }
    }

    #[test]
    fn faults_are_spaced_within_the_pause_bounds() {
        let plan = plan(
            FaultCounts {
                kills: 20,
                database_restarts: 0,
                token_expiries: 0,
            },
            Duration::ZERO,
            &mut StdRng::seed_from_u64(1),
        );
        let mut previous = Duration::ZERO;
        for planned in &plan {
            let gap = planned.at - previous;
            assert!(gap >= Duration::from_millis(MIN_PAUSE_MS), "{gap:?}");
            assert!(gap <= Duration::from_millis(MAX_PAUSE_MS), "{gap:?}");
            previous = planned.at;
        }
    }

    #[test]
    fn no_faults_plans_nothing() {
        let none = FaultCounts {
            kills: 0,
            database_restarts: 0,
            token_expiries: 0,
        };
        assert!(plan(none, Duration::from_secs(1), &mut StdRng::seed_from_u64(3)).is_empty());
    }
}
