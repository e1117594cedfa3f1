//! The dashboard's URLs, named once so handlers, redirects and templates agree.

/// The sign-in form.
pub const SIGN_IN: &str = "/app/sign-in";
/// Signing out.
pub const SIGN_OUT: &str = "/app/sign-out";
/// The connected accounts.
pub const ACCOUNTS: &str = "/app/accounts";
/// Where Facebook Login sends the browser back to (the connect call's `return_to`).
pub const CONNECTED: &str = "/app/accounts/connected";
/// The composer.
pub const COMPOSE: &str = "/app/compose";
/// The queue.
pub const QUEUE: &str = "/app/queue";
/// The insights page.
pub const INSIGHTS: &str = "/app/insights";

/// One post's page.
pub fn post(id: impl std::fmt::Display) -> String {
    format!("/app/posts/{id}")
}

/// The account picker of a pending choice.
pub fn choose(session: impl std::fmt::Display) -> String {
    format!("/app/accounts/choose/{session}")
}

/// Whether `next` is a dashboard page we may send a person back to after signing in: a path
/// under `/app/` on this origin, never another site (`//evil.example`, `/\evil.example`).
pub fn is_safe_return(next: &str) -> bool {
    next.starts_with("/app/")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next != SIGN_IN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_dashboard_paths_are_safe_returns() {
        assert!(is_safe_return("/app/queue?view=list"));
        for unsafe_next in [
            "https://evil.example/app/",
            "//evil.example/app/",
            "/app//evil",
            "/app/\\evil.example",
            "/v1/posts",
            "/app/sign-in",
            "/app/x\ny",
        ] {
            assert!(!is_safe_return(unsafe_next), "{unsafe_next:?}");
        }
    }
}
