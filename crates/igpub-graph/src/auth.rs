//! Facebook Login and tokens (graph-api.md §5), and discovering the Instagram accounts a token
//! reaches through its Pages (§3.1).
//!
//! Token endpoints carry secrets (app secret, code, tokens), so they never travel in a URL:
//! the code and long-lived exchanges are POSTed as a form (OAuth 2.0 token requests, which
//! `oauth/access_token` accepts), and `debug_token`, a GET, is sent inside a batch whose body
//! carries the inspected token.

use futures::{Stream, TryStreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::batch::BatchRequest;
use crate::client::{AuthedClient, DEFAULT_API_VERSION, GraphClient};
use crate::error::GraphError;
use crate::ids::{AppId, IgUserId, PageId, UserId, lenient_id};
use crate::meta_enum::meta_enum;
use crate::request::GraphRequest;
use crate::secret::{AccessToken, AppCredentials};

/// Facebook's host for the login dialog.
pub const DEFAULT_DIALOG_BASE_URL: &str = "https://www.facebook.com";

/// Permission names a publisher asks for (graph-api.md §5.5).
pub mod scopes {
    /// Read IG user and media, find the IG account.
    pub const INSTAGRAM_BASIC: &str = "instagram_basic";
    /// Create and publish containers, read the publishing limit.
    pub const INSTAGRAM_CONTENT_PUBLISH: &str = "instagram_content_publish";
    /// Account and media insights.
    pub const INSTAGRAM_MANAGE_INSIGHTS: &str = "instagram_manage_insights";
    /// Comments (the publisher's first comment) and their webhooks.
    pub const INSTAGRAM_MANAGE_COMMENTS: &str = "instagram_manage_comments";
    /// `/me/accounts`.
    pub const PAGES_SHOW_LIST: &str = "pages_show_list";
    /// Required alongside the IG scopes.
    pub const PAGES_READ_ENGAGEMENT: &str = "pages_read_engagement";
    /// Pages and IG accounts owned through Business Manager.
    pub const BUSINESS_MANAGEMENT: &str = "business_management";
    /// Everything a publisher with insights and first comments needs.
    pub const PUBLISHER: [&str; 7] = [
        INSTAGRAM_BASIC,
        INSTAGRAM_CONTENT_PUBLISH,
        INSTAGRAM_MANAGE_INSIGHTS,
        INSTAGRAM_MANAGE_COMMENTS,
        PAGES_SHOW_LIST,
        PAGES_READ_ENGAGEMENT,
        BUSINESS_MANAGEMENT,
    ];
}

meta_enum! {
    /// `auth_type` of the login dialog.
    AuthType {
        /// Ask again for permissions the person declined.
        Rerequest => "rerequest",
        /// Make the person enter their password again.
        Reauthenticate => "reauthenticate",
    }
}

/// Builds the Facebook Login dialog URL (graph-api.md §5.1). Pure: no client, no network.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct LoginDialog {
    app_id: AppId,
    redirect_uri: Url,
    state: String,
    scopes: Vec<String>,
    config_id: Option<String>,
    auth_type: Option<AuthType>,
    dialog_base_url: String,
    api_version: String,
}

impl LoginDialog {
    /// A dialog for this app, sending the person back to `redirect_uri` with `state`.
    pub fn new(app_id: AppId, redirect_uri: Url, state: impl Into<String>) -> Self {
        Self {
            app_id,
            redirect_uri,
            state: state.into(),
            scopes: scopes::PUBLISHER
                .iter()
                .map(|scope| (*scope).to_owned())
                .collect(),
            config_id: None,
            auth_type: None,
            dialog_base_url: DEFAULT_DIALOG_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
        }
    }

    /// The permissions to ask for (default [`scopes::PUBLISHER`]).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// A Facebook Login for Business configuration; it replaces `scope`.
    pub fn config_id(mut self, config_id: impl Into<String>) -> Self {
        self.config_id = Some(config_id.into());
        self
    }

    /// `auth_type`, e.g. [`AuthType::Rerequest`] to ask again for declined permissions.
    pub fn auth_type(mut self, auth_type: AuthType) -> Self {
        self.auth_type = Some(auth_type);
        self
    }

    /// The dialog host (default `https://www.facebook.com`; the simulator's URL in tests).
    pub fn dialog_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.dialog_base_url = base_url.into();
        self
    }

    /// The API version in the dialog path (default `v25.0`).
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// The URL to send the person to.
    pub fn url(&self) -> Result<Url, GraphError> {
        if self.state.trim().is_empty() {
            return Err(GraphError::invalid_input(
                "state",
                "must not be empty: it is the CSRF guard",
            ));
        }
        if self.config_id.is_none() && self.scopes.is_empty() {
            return Err(GraphError::invalid_input(
                "scope",
                "ask for at least one permission, or give a config_id",
            ));
        }
        let base = self.dialog_base_url.trim_end_matches('/');
        let text = if self.api_version.is_empty() {
            format!("{base}/dialog/oauth")
        } else {
            format!("{base}/{}/dialog/oauth", self.api_version)
        };
        let mut url = Url::parse(&text).map_err(|error| {
            GraphError::invalid_input("dialog_base_url", format!("{text:?} is not a URL: {error}"))
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", self.app_id.as_str())
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("state", &self.state)
                .append_pair("response_type", "code");
            match &self.config_id {
                Some(config_id) => {
                    query.append_pair("config_id", config_id);
                }
                None => {
                    query.append_pair("scope", &self.scopes.join(","));
                }
            }
            if let Some(auth_type) = &self.auth_type {
                query.append_pair("auth_type", auth_type.as_str());
            }
        }
        Ok(url)
    }
}

/// A token from `oauth/access_token`.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenGrant {
    /// The token.
    pub access_token: AccessToken,
    /// `token_type`, usually `bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds until it expires (absent for tokens that do not expire).
    #[serde(default)]
    pub expires_in: Option<u64>,
}

meta_enum! {
    /// `type` of a token in `debug_token`.
    TokenType {
        /// A user token.
        User => "USER",
        /// A Page token.
        Page => "PAGE",
        /// An app token.
        App => "APP",
        /// A system user token.
        SystemUser => "SYSTEM_USER",
    }
}

/// What `debug_token` says about a token (graph-api.md §5.3). Holds no token.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct TokenInfo {
    /// The app the token belongs to (a number in Meta's doc sample, a string in real answers).
    #[serde(default, deserialize_with = "lenient_id")]
    pub app_id: Option<AppId>,
    /// Token type.
    #[serde(default, rename = "type")]
    pub token_type: Option<TokenType>,
    /// App name.
    #[serde(default)]
    pub application: Option<String>,
    /// Unix time data access expires (90 days after the last login).
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    /// Unix time the token expires; 0 = never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Whether the token works.
    #[serde(default)]
    pub is_valid: bool,
    /// Unix time it was issued.
    #[serde(default)]
    pub issued_at: Option<i64>,
    /// Granted permissions.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Permissions with the objects they were granted for.
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    /// The user.
    #[serde(default, deserialize_with = "lenient_id")]
    pub user_id: Option<UserId>,
    /// The Page, for Page tokens.
    #[serde(default, deserialize_with = "lenient_id")]
    pub profile_id: Option<PageId>,
    /// Why the token is not valid.
    #[serde(default)]
    pub error: Option<TokenInfoError>,
}

impl TokenInfo {
    /// When the token expires; `None` when it never does (`expires_at: 0`) or is not said.
    pub fn expires(&self) -> Option<jiff::Timestamp> {
        self.expires_at
            .filter(|at| *at > 0)
            .and_then(|at| jiff::Timestamp::from_second(at).ok())
    }
}

/// A permission and the objects it was granted for (all, when `target_ids` is empty).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct GranularScope {
    /// The permission.
    pub scope: String,
    /// Page, IG or business ids.
    #[serde(default)]
    pub target_ids: Vec<String>,
}

/// Why `debug_token` finds a token invalid.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct TokenInfoError {
    /// Error code (190).
    #[serde(default)]
    pub code: Option<i64>,
    /// Subcode (463 expired, …).
    #[serde(default)]
    pub subcode: Option<i64>,
    /// Meta's message.
    #[serde(default)]
    pub message: Option<String>,
}

meta_enum! {
    /// Status of one permission.
    PermissionStatus {
        /// Granted.
        Granted => "granted",
        /// Declined by the person.
        Declined => "declined",
        /// Expired.
        Expired => "expired",
    }
}

/// One entry of `/me/permissions`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct PermissionGrant {
    /// The permission.
    pub permission: String,
    /// Its status.
    pub status: PermissionStatus,
}

/// `/me/permissions`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Permissions {
    /// Every permission and its status.
    #[serde(default, rename = "data")]
    pub entries: Vec<PermissionGrant>,
}

impl Permissions {
    fn with_status(&self, status: &PermissionStatus) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| &e.status == status)
            .map(|e| e.permission.as_str())
            .collect()
    }

    /// Granted permissions.
    pub fn granted(&self) -> Vec<&str> {
        self.with_status(&PermissionStatus::Granted)
    }

    /// Declined permissions.
    pub fn declined(&self) -> Vec<&str> {
        self.with_status(&PermissionStatus::Declined)
    }

    /// True when `permission` is granted.
    pub fn is_granted(&self, permission: &str) -> bool {
        self.granted().contains(&permission)
    }

    /// Which of `required` are not granted.
    pub fn missing<'a>(&self, required: &[&'a str]) -> Vec<&'a str> {
        required
            .iter()
            .copied()
            .filter(|p| !self.is_granted(p))
            .collect()
    }
}

/// The Instagram professional account linked to a Page.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct IgAccount {
    /// IG user id.
    pub id: IgUserId,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Profile picture (signed URL that expires).
    #[serde(default)]
    pub profile_picture_url: Option<String>,
}

/// A Facebook Page the token's user manages, with its Page token and linked IG account.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct FacebookPage {
    /// Page id.
    pub id: PageId,
    /// Page name.
    #[serde(default)]
    pub name: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// The user's tasks on the Page (publishing needs MANAGE or CREATE_CONTENT).
    #[serde(default)]
    pub tasks: Vec<String>,
    /// The Page token (never serialized: a secret).
    #[serde(default, skip_serializing)]
    pub access_token: Option<AccessToken>,
    /// The linked IG professional account; absent when the Page has none.
    #[serde(default)]
    pub instagram_business_account: Option<IgAccount>,
}

/// Fields read for each Page, with the IG account expanded in the same round trip (§3.1, §9.2).
pub const PAGE_FIELDS: &str = "id,name,category,tasks,access_token,instagram_business_account{id,username,name,profile_picture_url}";

/// `GET /me/accounts?fields=…`.
pub fn pages_request(limit: Option<u32>) -> GraphRequest {
    GraphRequest::get(&["me", "accounts"])
        .param("fields", PAGE_FIELDS)
        .param_opt("limit", limit.map(|l| l.to_string()))
}

/// `GET /{page-id}?fields=instagram_business_account{…}`.
pub fn page_ig_account_request(page_id: &PageId) -> GraphRequest {
    GraphRequest::get(&[page_id.as_str()]).param(
        "fields",
        "id,instagram_business_account{id,username,name,profile_picture_url}",
    )
}

#[derive(Deserialize)]
struct PageIgAccount {
    #[serde(default)]
    instagram_business_account: Option<IgAccount>,
}

#[derive(Deserialize)]
struct DebugTokenAnswer {
    data: TokenInfo,
}

/// `POST /oauth/access_token` with `client_id`, `redirect_uri`, `client_secret`, `code` (§5.1).
pub fn code_exchange_request(
    credentials: &AppCredentials,
    redirect_uri: &Url,
    code: &SecretString,
) -> GraphRequest {
    GraphRequest::post(&["oauth", "access_token"])
        .param("client_id", credentials.app_id.as_str())
        .param("redirect_uri", redirect_uri.as_str())
        .secret_param("client_secret", credentials.app_secret.clone())
        .secret_param("code", code.clone())
}

/// `POST /oauth/access_token` with `grant_type=fb_exchange_token` (§5.2).
pub fn long_lived_exchange_request(
    credentials: &AppCredentials,
    short_lived: &AccessToken,
) -> GraphRequest {
    GraphRequest::post(&["oauth", "access_token"])
        .param("grant_type", "fb_exchange_token")
        .param("client_id", credentials.app_id.as_str())
        .secret_param("client_secret", credentials.app_secret.clone())
        .secret_param(
            "fb_exchange_token",
            SecretString::from(short_lived.expose_secret().to_owned()),
        )
}

impl GraphClient {
    /// Exchanges the login dialog's `code` for a token. `redirect_uri` must be exactly the one
    /// the dialog used.
    pub async fn exchange_code(
        &self,
        credentials: &AppCredentials,
        redirect_uri: &Url,
        code: &SecretString,
    ) -> Result<TokenGrant, GraphError> {
        if code.expose_secret().trim().is_empty() {
            return Err(GraphError::invalid_input("code", "must not be empty"));
        }
        let request = code_exchange_request(credentials, redirect_uri, code);
        let response = self.send_without_token(&request).await?;
        crate::client::decode(
            &response,
            &request,
            &[credentials.app_secret.expose_secret(), code.expose_secret()],
        )
    }

    /// Exchanges a short-lived user token for a long-lived (~60 day) one.
    pub async fn exchange_long_lived(
        &self,
        credentials: &AppCredentials,
        short_lived: &AccessToken,
    ) -> Result<TokenGrant, GraphError> {
        let request = long_lived_exchange_request(credentials, short_lived);
        let response = self.send_without_token(&request).await?;
        crate::client::decode(
            &response,
            &request,
            &[
                credentials.app_secret.expose_secret(),
                short_lived.expose_secret(),
            ],
        )
    }

    /// Asks `debug_token` about `input_token`, authenticated with the app token
    /// `{app-id}|{app-secret}`. The inspected token travels in a batch body, never in a URL.
    pub async fn debug_token(
        &self,
        credentials: &AppCredentials,
        input_token: &AccessToken,
    ) -> Result<TokenInfo, GraphError> {
        let inspect = GraphRequest::get(&["debug_token"]).secret_param(
            "input_token",
            SecretString::from(input_token.expose_secret().to_owned()),
        );
        let app = self.with_token(credentials.app_token());
        let mut answers = app
            .batch(vec![BatchRequest::new(inspect)])
            .await?
            .into_iter();
        let answer = answers
            .next()
            .flatten()
            .ok_or(GraphError::BatchItemMissing {
                index: 0,
                name: None,
            })?;
        Ok(answer.decode::<DebugTokenAnswer>()?.data)
    }
}

impl AuthedClient {
    /// `/me/permissions`: every permission and whether it is granted or declined.
    pub async fn permissions(&self) -> Result<Permissions, GraphError> {
        self.send_json(&GraphRequest::get(&["me", "permissions"]))
            .await
    }

    /// The user's Pages with their Page tokens and linked IG accounts, page after page.
    pub fn pages(&self) -> impl Stream<Item = Result<FacebookPage, GraphError>> + Send + 'static {
        crate::paging::paged(self.clone(), pages_request(None))
    }

    /// All the user's Pages, following every `paging` cursor.
    pub async fn all_pages(&self) -> Result<Vec<FacebookPage>, GraphError> {
        self.pages().try_collect().await
    }

    /// The IG professional account linked to a Page; `None` when the Page has none.
    pub async fn page_instagram_account(
        &self,
        page_id: &PageId,
    ) -> Result<Option<IgAccount>, GraphError> {
        let answer: PageIgAccount = self.send_json(&page_ig_account_request(page_id)).await?;
        Ok(answer.instagram_business_account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect() -> Url {
        Url::parse("https://app.example/cb?tenant=1").unwrap_or_else(|_| panic!("static URL"))
    }

    fn query(url: &Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    #[test]
    fn dialog_url_carries_client_redirect_state_and_scopes() {
        let url = LoginDialog::new(AppId::new("138483919580948"), redirect(), "st4te").url();
        let Ok(url) = url else { panic!("{url:?}") };
        assert!(
            url.as_str()
                .starts_with("https://www.facebook.com/v25.0/dialog/oauth?"),
            "{url}"
        );
        assert_eq!(query(&url, "client_id").as_deref(), Some("138483919580948"));
        assert_eq!(
            query(&url, "redirect_uri").as_deref(),
            Some("https://app.example/cb?tenant=1")
        );
        assert_eq!(query(&url, "state").as_deref(), Some("st4te"));
        assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
        let scope = query(&url, "scope").unwrap_or_default();
        assert!(
            scope.contains("instagram_content_publish") && scope.contains("pages_show_list"),
            "{scope}"
        );
    }

    #[test]
    fn config_id_replaces_scope_and_auth_type_is_passed() {
        let url = LoginDialog::new(AppId::new("1"), redirect(), "s")
            .config_id("987")
            .auth_type(AuthType::Rerequest)
            .dialog_base_url("http://127.0.0.1:9/")
            .api_version("v24.0")
            .url();
        let Ok(url) = url else { panic!("{url:?}") };
        assert!(
            url.as_str()
                .starts_with("http://127.0.0.1:9/v24.0/dialog/oauth?"),
            "{url}"
        );
        assert_eq!(query(&url, "config_id").as_deref(), Some("987"));
        assert_eq!(query(&url, "scope"), None);
        assert_eq!(query(&url, "auth_type").as_deref(), Some("rerequest"));
    }

    #[test]
    fn dialog_refuses_an_empty_state() {
        let error = LoginDialog::new(AppId::new("1"), redirect(), " ")
            .url()
            .err();
        assert!(
            error
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("state")
        );
    }

    #[test]
    fn token_requests_keep_secrets_out_of_debug() {
        let credentials =
            AppCredentials::new(AppId::new("1"), SecretString::from("app-secret-xyz"));
        let request = code_exchange_request(
            &credentials,
            &redirect(),
            &SecretString::from("code-abc-123"),
        );
        assert_eq!(request.method, crate::request::Method::Post);
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("app-secret-xyz") && !shown.contains("code-abc-123"),
            "{shown}"
        );
        let long = long_lived_exchange_request(&credentials, &AccessToken::new("EAAshort-lived"));
        assert_eq!(long.param_value("grant_type"), Some("fb_exchange_token"));
        assert!(!format!("{long:?}").contains("EAAshort-lived"));
    }

    #[test]
    fn debug_token_doc_sample_decodes_with_a_numeric_app_id() {
        let body = r#"{"data":{"app_id":138483919580948,"type":"USER","application":"Social Cafe","data_access_expires_at":1584111699,
          "expires_at":1352419328,"is_valid":true,"issued_at":1347235328,"metadata":{"sso":"iphone-safari"},
          "scopes":["email","pages_show_list","instagram_basic","instagram_manage_insights","public_profile"],
          "granular_scopes":[{"scope":"pages_show_list","target_ids":["134895793791914"]},{"scope":"instagram_manage_insights"}],
          "user_id":"1207059"}}"#;
        let answer: Result<DebugTokenAnswer, _> = serde_json::from_str(body);
        let Ok(DebugTokenAnswer { data }) = answer else {
            panic!("doc sample must decode")
        };
        assert_eq!(data.app_id, Some(AppId::new("138483919580948")));
        assert_eq!(data.token_type, Some(TokenType::User));
        assert!(data.is_valid);
        assert_eq!(data.granular_scopes.len(), 2);
        assert_eq!(data.expires().map(|t| t.as_second()), Some(1352419328));
    }

    #[test]
    fn invalid_token_answer_decodes_with_its_error() {
        let body = r#"{"data":{"error":{"code":190,"message":"The access token could not be decrypted"},"is_valid":false,"scopes":[]}}"#;
        let answer: Option<DebugTokenAnswer> = serde_json::from_str(body).ok();
        let info = answer.map(|a| a.data);
        assert_eq!(info.as_ref().map(|i| i.is_valid), Some(false));
        assert_eq!(info.and_then(|i| i.error).and_then(|e| e.code), Some(190));
    }

    #[test]
    fn never_expiring_tokens_have_no_expiry() {
        let info: Option<TokenInfo> = serde_json::from_str(
            r#"{"expires_at":0,"is_valid":true,"type":"PAGE","profile_id":"134895793791914"}"#,
        )
        .ok();
        assert_eq!(info.as_ref().and_then(TokenInfo::expires), None);
        assert_eq!(
            info.and_then(|i| i.profile_id),
            Some(PageId::new("134895793791914"))
        );
    }

    #[test]
    fn permissions_split_into_granted_and_declined() {
        let permissions: Permissions = serde_json::from_str(
            r#"{"data":[{"permission":"instagram_basic","status":"granted"},{"permission":"instagram_content_publish","status":"declined"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(permissions.granted(), vec!["instagram_basic"]);
        assert_eq!(permissions.declined(), vec!["instagram_content_publish"]);
        assert_eq!(
            permissions.missing(&["instagram_basic", "instagram_content_publish"]),
            vec!["instagram_content_publish"]
        );
    }

    #[test]
    fn pages_serialize_without_their_token() {
        let page: Result<FacebookPage, _> = serde_json::from_str(
            r#"{"access_token":"EAABpage-token","category":"Brand","name":"My Page","id":"134895793791914",
               "tasks":["ANALYZE","CREATE_CONTENT","MANAGE"],"instagram_business_account":{"id":"17841449039477317"}}"#,
        );
        let Ok(page) = page else {
            panic!("§3.1 page must decode")
        };
        assert!(page.access_token.is_some());
        let json = serde_json::to_string(&page).unwrap_or_default();
        assert!(!json.contains("EAABpage-token"), "{json}");
        assert!(json.contains("17841449039477317"));
        assert!(!format!("{page:?}").contains("EAABpage-token"));
    }
}
