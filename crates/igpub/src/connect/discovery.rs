//! From what Facebook Login returned to what can be connected: the permissions check and the
//! Instagram accounts behind the person's Pages (graph-api.md §3.1, §5.5). Pure functions.

use igpub_graph::{AccessToken, FacebookPage, Permissions};

use super::REQUIRED_SCOPES;
use crate::store::AccountChoice;

/// Every required permission that is not granted, in the order igpub asks for them.
pub fn missing_permissions(permissions: &Permissions) -> Vec<String> {
    permissions
        .missing(&REQUIRED_SCOPES)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// An Instagram account the login reached, with the token of its Page.
#[derive(Debug, Clone)]
pub struct DiscoveredAccount {
    /// What the picker shows.
    pub choice: AccountChoice,
    /// The Page access token (a secret; `Debug` is redacted).
    pub page_token: AccessToken,
}

/// The Instagram professional accounts linked to `pages`, in Meta's order, each once.
///
/// A Page without `instagram_business_account` has no linked professional account (§3.1), and
/// one without an `access_token` is a Page whose token the person's role does not give: neither
/// can be connected.
pub fn instagram_accounts(pages: Vec<FacebookPage>) -> Vec<DiscoveredAccount> {
    let mut found: Vec<DiscoveredAccount> = Vec::new();
    for page in pages {
        let (Some(ig), Some(page_token)) = (page.instagram_business_account, page.access_token)
        else {
            continue;
        };
        if found
            .iter()
            .any(|known| known.choice.ig_user_id == ig.id.as_str())
        {
            continue;
        }
        found.push(DiscoveredAccount {
            choice: AccountChoice {
                ig_user_id: ig.id.into_string(),
                ig_username: ig.username,
                ig_name: ig.name,
                profile_picture_url: ig.profile_picture_url,
                facebook_page_id: page.id.into_string(),
                facebook_page_name: page.name,
            },
            page_token,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(json: &str) -> Vec<FacebookPage> {
        match serde_json::from_str(json) {
            Ok(pages) => pages,
            Err(error) => panic!("test pages must decode: {error}"),
        }
    }

    #[test]
    fn every_missing_permission_is_named_in_request_order() {
        let permissions: Permissions = serde_json::from_str(
            r#"{"data":[{"permission":"instagram_basic","status":"granted"},
                        {"permission":"pages_show_list","status":"granted"},
                        {"permission":"instagram_content_publish","status":"declined"},
                        {"permission":"business_management","status":"granted"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            missing_permissions(&permissions),
            vec![
                "instagram_content_publish",
                "instagram_manage_insights",
                "pages_read_engagement"
            ]
        );
    }

    #[test]
    fn all_permissions_granted_means_nothing_is_missing() {
        let entries: Vec<String> = REQUIRED_SCOPES
            .iter()
            .map(|p| format!(r#"{{"permission":"{p}","status":"granted"}}"#))
            .collect();
        let json = format!(r#"{{"data":[{}]}}"#, entries.join(","));
        let permissions: Permissions = serde_json::from_str(&json).unwrap_or_default();
        assert!(missing_permissions(&permissions).is_empty());
    }

    #[test]
    fn only_pages_with_a_linked_account_and_a_token_are_offered_once_each() {
        let found = instagram_accounts(pages(
            r#"[{"id":"1","name":"No IG","access_token":"EAAB1"},
                {"id":"2","name":"Shop","access_token":"EAAB2",
                 "instagram_business_account":{"id":"178","username":"shop","name":"Shop"}},
                {"id":"3","name":"No token","instagram_business_account":{"id":"179"}},
                {"id":"4","name":"Shop again","access_token":"EAAB4",
                 "instagram_business_account":{"id":"178"}}]"#,
        ));
        assert_eq!(found.len(), 1);
        let only = &found[0];
        assert_eq!(only.choice.ig_user_id, "178");
        assert_eq!(only.choice.ig_username.as_deref(), Some("shop"));
        assert_eq!(only.choice.facebook_page_id, "2");
        assert_eq!(only.choice.facebook_page_name.as_deref(), Some("Shop"));
        assert_eq!(only.page_token.expose_secret(), "EAAB2");
        assert!(!format!("{found:?}").contains("EAAB2"));
    }
}
