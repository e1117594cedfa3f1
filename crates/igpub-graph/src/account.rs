//! The Instagram account: profile, `verify`, and the content publishing limit
//! (graph-api.md §3.2, §2.8).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::client::AuthedClient;
use crate::error::GraphError;
use crate::ids::IgUserId;
use crate::request::GraphRequest;

/// An IG User (professional account). Counts are absent when not asked for.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct IgUser {
    /// The IG user id.
    pub id: IgUserId,
    /// `username`.
    #[serde(default)]
    pub username: Option<String>,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `profile_picture_url` (a signed CDN URL that expires).
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    /// `followers_count`.
    #[serde(default)]
    pub followers_count: Option<u64>,
    /// `follows_count`.
    #[serde(default)]
    pub follows_count: Option<u64>,
    /// `media_count`.
    #[serde(default)]
    pub media_count: Option<u64>,
    /// `biography`.
    #[serde(default)]
    pub biography: Option<String>,
    /// `website`.
    #[serde(default)]
    pub website: Option<String>,
}

/// The profile fields read by [`AuthedClient::ig_user`].
pub const IG_USER_FIELDS: &str = "id,username,name,profile_picture_url,followers_count,follows_count,media_count,biography,website";

/// `GET /{ig-user-id}?fields=…`.
pub fn ig_user_request(ig_user_id: &IgUserId) -> GraphRequest {
    GraphRequest::get(&[ig_user_id.as_str()]).param("fields", IG_USER_FIELDS)
}

/// The content publishing quota of an account (graph-api.md §2.8).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct PublishingLimit {
    /// Posts published in the moving window.
    #[serde(default)]
    pub quota_usage: u32,
    /// The quota itself; read it, never assume it (it has been 25, 50 and 100).
    #[serde(default)]
    pub config: Option<QuotaConfig>,
}

/// `config` of the content publishing limit.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct QuotaConfig {
    /// Posts allowed in the window.
    pub quota_total: u32,
    /// Window length in seconds (86400).
    pub quota_duration: u64,
}

impl PublishingLimit {
    /// Free slots left, when the quota is known.
    pub fn remaining(&self) -> Option<u32> {
        self.config
            .as_ref()
            .map(|config| config.quota_total.saturating_sub(self.quota_usage))
    }
}

/// `GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config[&since=]`.
pub fn publishing_limit_request(ig_user_id: &IgUserId, since: Option<Timestamp>) -> GraphRequest {
    GraphRequest::get(&[ig_user_id.as_str(), "content_publishing_limit"])
        .param("fields", "quota_usage,config")
        .param_opt("since", since.map(|t| t.as_second().to_string()))
}

#[derive(Deserialize)]
struct LimitData {
    #[serde(default)]
    data: Vec<PublishingLimit>,
}

impl AuthedClient {
    /// Reads the account's profile: id, username, name, picture, followers and media counts.
    pub async fn ig_user(&self, ig_user_id: &IgUserId) -> Result<IgUser, GraphError> {
        self.send_json(&ig_user_request(ig_user_id)).await
    }

    /// Checks that the token can see this Instagram professional account. Meta's 400 (100/33:
    /// not found or no permission) comes back as the error; an answer about another object, or
    /// one without a username (not an IG account), is an error too.
    pub async fn verify(&self, ig_user_id: &IgUserId) -> Result<IgUser, GraphError> {
        let request = GraphRequest::get(&[ig_user_id.as_str()]).param("fields", "id,username,name");
        let user: IgUser = self.send_json(&request).await?;
        if &user.id != ig_user_id {
            return Err(GraphError::UnexpectedResponse {
                endpoint: request.endpoint(),
                what: format!("asked for {ig_user_id}, Meta answered for {}", user.id),
            });
        }
        if user.username.as_deref().is_none_or(str::is_empty) {
            return Err(GraphError::UnexpectedResponse {
                endpoint: request.endpoint(),
                what: format!(
                    "{ig_user_id} has no username: not an Instagram professional account"
                ),
            });
        }
        Ok(user)
    }

    /// Reads the account's content publishing quota (`quota_usage`, `config.quota_total`,
    /// `config.quota_duration`).
    pub async fn publishing_limit(
        &self,
        ig_user_id: &IgUserId,
    ) -> Result<PublishingLimit, GraphError> {
        let request = publishing_limit_request(ig_user_id, None);
        let answer: LimitData = self.send_json(&request).await?;
        answer
            .data
            .into_iter()
            .next()
            .ok_or_else(|| GraphError::UnexpectedResponse {
                endpoint: request.endpoint(),
                what: "empty data".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_user_decodes() {
        // Real sample, graph-api.md §3.2 ([PYFB] users/user_fields.json).
        let body = r#"{"id":"17841407673135339","biography":"Follow us","name":"Facebook for Developers",
          "username":"facebookfordevelopers","profile_picture_url":"https://scontent-gmp1-1.xx.fbcdn.net/x_n.jpg",
          "followers_count":64363,"media_count":427}"#;
        let user: Option<IgUser> = serde_json::from_str(body).ok();
        assert_eq!(user.as_ref().and_then(|u| u.followers_count), Some(64363));
        assert_eq!(
            user.and_then(|u| u.username).as_deref(),
            Some("facebookfordevelopers")
        );
    }

    #[test]
    fn remaining_quota_is_total_minus_usage() {
        let limit: Option<LimitData> = serde_json::from_str(
            r#"{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}"#,
        )
        .ok();
        let limit = limit.and_then(|l| l.data.into_iter().next());
        assert_eq!(
            limit.as_ref().and_then(PublishingLimit::remaining),
            Some(48)
        );
        let bare: Option<LimitData> = serde_json::from_str(r#"{"data":[{"quota_usage":0}]}"#).ok();
        assert_eq!(
            bare.and_then(|l| l.data.into_iter().next())
                .and_then(|l| l.remaining()),
            None
        );
    }
}
