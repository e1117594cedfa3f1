//! How a post's state looks: its chip's words and colour class (see `app.css`), and what a
//! person may do next.

use crate::store::PostState;

/// The chip of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chip {
    /// The CSS modifier: `chip--{class}`.
    pub class: &'static str,
    /// The words on it.
    pub label: &'static str,
}

/// The chip of `state`. Colours group the moments of a post: waiting (blue), at work (purple),
/// waiting for quota (amber), live (green), failed (red), held (orange), idle (grey).
pub fn chip(state: PostState) -> Chip {
    let label = match state {
        PostState::Draft => "Draft",
        PostState::Scheduled => "Scheduled",
        PostState::Creating => "Creating",
        PostState::Processing => "Processing",
        PostState::Ready => "Ready",
        PostState::WaitingQuota => "Waiting for quota",
        PostState::Publishing => "Publishing",
        PostState::Verifying => "Verifying",
        PostState::Published => "Published",
        PostState::Failed => "Failed",
        PostState::Held => "Held: reconnect",
        PostState::Cancelled => "Cancelled",
    };
    Chip {
        class: state.as_str(),
        label,
    }
}

/// Whether the worker is moving the post along right now (the page keeps itself fresh).
pub fn is_in_progress(state: PostState) -> bool {
    matches!(
        state,
        PostState::Creating
            | PostState::Processing
            | PostState::Ready
            | PostState::Publishing
            | PostState::Verifying
    )
}

/// Whether the post can still be cancelled (the store refuses once a publish may have
/// happened).
pub fn can_cancel(state: PostState) -> bool {
    !state.publish_may_have_happened() && !matches!(state, PostState::Cancelled | PostState::Failed)
}

/// Whether "publish now" applies.
pub fn can_publish_now(state: PostState) -> bool {
    matches!(
        state,
        PostState::Draft | PostState::Scheduled | PostState::Ready | PostState::WaitingQuota
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_chip_class_and_a_label() {
        for state in PostState::ALL {
            let chip = chip(state);
            assert_eq!(chip.class, state.as_str());
            assert!(!chip.label.is_empty());
        }
    }

    #[test]
    fn a_post_that_may_be_live_cannot_be_cancelled() {
        assert!(can_cancel(PostState::Scheduled));
        assert!(can_cancel(PostState::Held));
        for state in [
            PostState::Publishing,
            PostState::Verifying,
            PostState::Published,
        ] {
            assert!(!can_cancel(state), "{state}");
        }
    }

    #[test]
    fn only_waiting_posts_can_be_published_now() {
        assert!(can_publish_now(PostState::Draft));
        assert!(!can_publish_now(PostState::Failed));
        assert!(!can_publish_now(PostState::Published));
    }
}
