//! The Graph surface: routing a call to its endpoint, then authenticating, authorising,
//! metering and answering it. HTTP, batch sub-requests and multi-get ids all come through here.

pub mod batch;
pub mod edges;
pub mod faulted;
pub mod fields;
pub mod insights;
pub mod multi_get;
pub mod nodes;
pub mod paging;
pub mod request;

use crate::auth::oauth;
use crate::auth::tokens::{Caller, CallerKind, authenticate, check_appsecret_proof};
use crate::error::MetaError;
use crate::publishing;
use crate::state::SimState;
use crate::usage::UsageKeys;
use crate::world::model::TokenKind;
use crate::world::{NodeKind, World};
use request::{GraphCall, Verb};
use serde_json::Value;

/// Every Graph endpoint, by the stable name counters and faults use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    UserGet,
    MediaCreate,
    MediaList,
    MediaPublish,
    PublishingLimit,
    InsightsAccount,
    StoriesList,
    ContainerGet,
    MediaGet,
    MediaUpdate,
    MediaDelete,
    MediaChildren,
    InsightsMedia,
    CommentsList,
    CommentsCreate,
    CommentGet,
    PageGet,
    PageSubscribedApps,
    MeGet,
    AccountsList,
    Permissions,
    DebugToken,
    OauthAccessToken,
    Batch,
    IdsGet,
    /// A path no endpoint answers; the call gets the routing error.
    Unknown,
}

impl Endpoint {
    /// The stable name, e.g. `media.publish`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::UserGet => "user.get",
            Endpoint::MediaCreate => "media.create",
            Endpoint::MediaList => "media.list",
            Endpoint::MediaPublish => "media.publish",
            Endpoint::PublishingLimit => "publishing_limit",
            Endpoint::InsightsAccount => "insights.account",
            Endpoint::StoriesList => "stories.list",
            Endpoint::ContainerGet => "container.get",
            Endpoint::MediaGet => "media.get",
            Endpoint::MediaUpdate => "media.update",
            Endpoint::MediaDelete => "media.delete",
            Endpoint::MediaChildren => "media.children",
            Endpoint::InsightsMedia => "insights.media",
            Endpoint::CommentsList => "comments.list",
            Endpoint::CommentsCreate => "comments.create",
            Endpoint::CommentGet => "comment.get",
            Endpoint::PageGet => "page.get",
            Endpoint::PageSubscribedApps => "page.subscribed_apps",
            Endpoint::MeGet => "me.get",
            Endpoint::AccountsList => "accounts.list",
            Endpoint::Permissions => "permissions",
            Endpoint::DebugToken => "debug_token",
            Endpoint::OauthAccessToken => "oauth.access_token",
            Endpoint::Batch => "batch",
            Endpoint::IdsGet => "ids.get",
            Endpoint::Unknown => "unknown",
        }
    }

    /// The permissions a token needs (shared/graph-api.md §2.1, §3.1, §4.1, §5.5).
    fn needs(self) -> &'static [&'static str] {
        match self {
            Endpoint::UserGet
            | Endpoint::MediaList
            | Endpoint::StoriesList
            | Endpoint::ContainerGet
            | Endpoint::MediaGet
            | Endpoint::MediaChildren
            | Endpoint::CommentsList
            | Endpoint::CommentGet => &["instagram_basic"],
            Endpoint::MediaCreate | Endpoint::MediaPublish | Endpoint::PublishingLimit => {
                &["instagram_basic", "instagram_content_publish"]
            }
            Endpoint::InsightsAccount | Endpoint::InsightsMedia => {
                &["instagram_basic", "instagram_manage_insights"]
            }
            Endpoint::CommentsCreate | Endpoint::MediaUpdate => {
                &["instagram_basic", "instagram_manage_comments"]
            }
            Endpoint::MediaDelete => &["instagram_basic", "instagram_manage_contents"],
            Endpoint::AccountsList => &["pages_show_list"],
            Endpoint::PageSubscribedApps => &["pages_manage_metadata"],
            Endpoint::PageGet
            | Endpoint::MeGet
            | Endpoint::Permissions
            | Endpoint::DebugToken
            | Endpoint::OauthAccessToken
            | Endpoint::Batch
            | Endpoint::IdsGet
            | Endpoint::Unknown => &[],
        }
    }
}

/// A call matched to its endpoint. Routing errors wait until the token has been checked, since
/// Meta checks the token first.
#[derive(Debug, Clone)]
pub struct Routed {
    pub endpoint: Endpoint,
    /// The node in the path, when there is one.
    pub node: Option<(u64, NodeKind)>,
    pub error: Option<MetaError>,
}

impl Routed {
    fn to(endpoint: Endpoint, node: Option<(u64, NodeKind)>) -> Self {
        Self {
            endpoint,
            node,
            error: None,
        }
    }

    fn failed(endpoint: Endpoint, error: MetaError) -> Self {
        Self {
            endpoint,
            node: None,
            error: Some(error),
        }
    }
}

/// The answer to one call, with what the usage headers need.
#[derive(Debug, Clone)]
pub struct Answer {
    pub result: Result<Value, MetaError>,
    /// The app whose `X-App-Usage` the answer reports.
    pub app: Option<u64>,
    /// The Instagram accounts the call touched, for `X-Business-Use-Case-Usage`.
    pub igs: Vec<u64>,
}

impl Answer {
    /// An answer that touched no Instagram account.
    pub fn plain(result: Result<Value, MetaError>, app: Option<u64>) -> Self {
        Self {
            result,
            app,
            igs: Vec::new(),
        }
    }
}

/// What one handler gets: the call, its caller and the node it is about.
pub struct Ctx<'a> {
    pub state: &'a SimState,
    pub call: &'a GraphCall,
    pub caller: &'a Caller,
    pub now_ms: i64,
    pub node: u64,
}

/// Matches a call to its endpoint.
pub fn route(state: &SimState, call: &GraphCall) -> Routed {
    let path: Vec<&str> = call.path.iter().map(String::as_str).collect();
    match (call.verb, path.as_slice()) {
        (Verb::Get, []) if call.params.contains_key("ids") => Routed::to(Endpoint::IdsGet, None),
        (Verb::Post, []) if call.params.contains_key("batch") => Routed::to(Endpoint::Batch, None),
        (_, []) => Routed::failed(
            Endpoint::Unknown,
            MetaError::missing_parameter(if call.verb == Verb::Post {
                "batch"
            } else {
                "ids"
            }),
        ),
        (_, ["debug_token"]) => Routed::to(Endpoint::DebugToken, None),
        (_, ["oauth", "access_token"]) => Routed::to(Endpoint::OauthAccessToken, None),
        (verb, [node]) => route_node(state, call, verb, node, None),
        (verb, [node, edge]) => route_node(state, call, verb, node, Some(edge)),
        (_, [_, _, rest @ ..]) => Routed::failed(
            Endpoint::Unknown,
            MetaError::unknown_path(&format!("/{}", rest.join("/"))),
        ),
    }
}

fn route_node(
    state: &SimState,
    call: &GraphCall,
    verb: Verb,
    node: &str,
    edge: Option<&str>,
) -> Routed {
    let world = state.world.lock();
    let resolved = if node == "me" {
        me_node(&world, call.token.as_deref())
    } else if let Ok(id) = node.parse::<u64>() {
        world.node(id).map(|kind| (id, kind))
    } else {
        // graph-api.md §6.2: Graph reads a non-numeric id as an alias.
        return Routed::failed(
            guess_endpoint(verb, edge),
            MetaError::new(
                803,
                format!("(#803) Some of the aliases you requested do not exist: {node}"),
            ),
        );
    };
    let Some((id, kind)) = resolved else {
        let error = if node == "me" {
            MetaError::new(
                2500,
                "An active access token must be used to query information about the current user.",
            )
        } else {
            MetaError::unsupported_request(verb.word(), node)
        };
        return Routed::failed(guess_endpoint(verb, edge), error);
    };
    match endpoint_of(kind, verb, edge) {
        Ok(endpoint) => Routed::to(endpoint, Some((id, kind))),
        Err(error) => Routed::failed(
            guess_endpoint(verb, edge),
            error_for(error, verb, node, kind),
        ),
    }
}

/// `/me` is the token's user, or the Page of a Page token.
fn me_node(world: &World, token: Option<&str>) -> Option<(u64, NodeKind)> {
    let record = world.tokens.get(token?)?;
    Some(match record.kind {
        TokenKind::User { user } => (user, NodeKind::User),
        TokenKind::Page { page, .. } => (page, NodeKind::Page),
    })
}

enum RouteError {
    UnsupportedMethod,
    UnknownEdge(String),
}

fn error_for(error: RouteError, verb: Verb, node: &str, kind: NodeKind) -> MetaError {
    match error {
        RouteError::UnsupportedMethod => MetaError::unsupported_request(verb.word(), node),
        // Graph reads an edge the node lacks as a field it lacks.
        RouteError::UnknownEdge(edge) => MetaError::nonexisting_field(&edge, kind.type_name()),
    }
}

fn endpoint_of(kind: NodeKind, verb: Verb, edge: Option<&str>) -> Result<Endpoint, RouteError> {
    if let Some(endpoint) = known_endpoint(kind, verb, edge) {
        return Ok(endpoint);
    }
    match edge {
        None => Err(RouteError::UnsupportedMethod),
        Some(edge) => {
            let other_verbs = [Verb::Get, Verb::Post, Verb::Delete];
            let known_edge = other_verbs
                .iter()
                .any(|other| known_endpoint(kind, *other, Some(edge)).is_some());
            Err(if known_edge {
                RouteError::UnsupportedMethod
            } else {
                RouteError::UnknownEdge(edge.to_owned())
            })
        }
    }
}

fn known_endpoint(kind: NodeKind, verb: Verb, edge: Option<&str>) -> Option<Endpoint> {
    use Endpoint as E;
    Some(match (kind, edge, verb) {
        (NodeKind::IgUser, None, Verb::Get) => E::UserGet,
        (NodeKind::IgUser, Some("media"), Verb::Post) => E::MediaCreate,
        (NodeKind::IgUser, Some("media"), Verb::Get) => E::MediaList,
        (NodeKind::IgUser, Some("media_publish"), Verb::Post) => E::MediaPublish,
        (NodeKind::IgUser, Some("content_publishing_limit"), Verb::Get) => E::PublishingLimit,
        (NodeKind::IgUser, Some("insights"), Verb::Get) => E::InsightsAccount,
        (NodeKind::IgUser, Some("stories"), Verb::Get) => E::StoriesList,
        (NodeKind::Container, None, Verb::Get) => E::ContainerGet,
        (NodeKind::Media, None, Verb::Get) => E::MediaGet,
        (NodeKind::Media, None, Verb::Post) => E::MediaUpdate,
        (NodeKind::Media, None, Verb::Delete) => E::MediaDelete,
        (NodeKind::Media, Some("children"), Verb::Get) => E::MediaChildren,
        (NodeKind::Media, Some("insights"), Verb::Get) => E::InsightsMedia,
        (NodeKind::Media, Some("comments"), Verb::Get) => E::CommentsList,
        (NodeKind::Media, Some("comments"), Verb::Post) => E::CommentsCreate,
        (NodeKind::Comment, None, Verb::Get) => E::CommentGet,
        (NodeKind::Page, None, Verb::Get) => E::PageGet,
        (NodeKind::Page, Some("subscribed_apps"), Verb::Post) => E::PageSubscribedApps,
        (NodeKind::User, None, Verb::Get) => E::MeGet,
        (NodeKind::User, Some("accounts"), Verb::Get) => E::AccountsList,
        (NodeKind::User, Some("permissions"), Verb::Get) => E::Permissions,
        _ => return None,
    })
}

/// The endpoint a call was probably meant for, so counters and faults still name it when the
/// node is unknown (a publish of a missing container counts as `media.publish`).
fn guess_endpoint(verb: Verb, edge: Option<&str>) -> Endpoint {
    match (edge, verb) {
        (Some("media"), Verb::Post) => Endpoint::MediaCreate,
        (Some("media"), _) => Endpoint::MediaList,
        (Some("media_publish"), _) => Endpoint::MediaPublish,
        (Some("content_publishing_limit"), _) => Endpoint::PublishingLimit,
        (Some("insights"), _) => Endpoint::InsightsMedia,
        (Some("comments"), Verb::Post) => Endpoint::CommentsCreate,
        (Some("accounts"), _) => Endpoint::AccountsList,
        (None, Verb::Get) => Endpoint::MediaGet,
        _ => Endpoint::Unknown,
    }
}

/// Answers a routed call. Batch and multi-get come back here for each part.
pub async fn run(state: &SimState, call: &GraphCall, routed: &Routed) -> Answer {
    match routed.endpoint {
        // Boxed: a batch runs its parts through this same function.
        Endpoint::Batch => return Box::pin(batch::run(state, call)).await,
        Endpoint::IdsGet => return Box::pin(multi_get::run(state, call)).await,
        Endpoint::DebugToken => return oauth::debug_token(state, call),
        Endpoint::OauthAccessToken => return oauth::access_token(state, call),
        _ => {}
    }
    let now_ms = state.clock.now_ms();
    let admitted = admit(state, call, routed, now_ms);
    let (caller, node, ig) = match admitted {
        Ok(admitted) => admitted,
        Err(refusal) => {
            let (error, app, ig) = *refusal;
            return Answer {
                result: Err(error),
                app,
                igs: ig.into_iter().collect(),
            };
        }
    };
    let ctx = Ctx {
        state,
        call,
        caller: &caller,
        now_ms,
        node,
    };
    let result = match routed.endpoint {
        Endpoint::UserGet => nodes::ig_user_get(&ctx),
        Endpoint::ContainerGet => nodes::container_get(&ctx),
        Endpoint::MediaGet => nodes::media_get(&ctx),
        Endpoint::MediaUpdate => nodes::media_update(&ctx),
        Endpoint::MediaDelete => nodes::media_delete(&ctx),
        Endpoint::CommentGet => nodes::comment_get(&ctx),
        Endpoint::PageGet => nodes::page_get(&ctx),
        Endpoint::MeGet => nodes::fb_user_get(&ctx),
        Endpoint::MediaList => edges::media_list(&ctx),
        Endpoint::StoriesList => edges::stories_list(&ctx),
        Endpoint::MediaChildren => edges::children_list(&ctx),
        Endpoint::CommentsList => edges::comments_list(&ctx),
        Endpoint::CommentsCreate => edges::comments_create(&ctx),
        Endpoint::AccountsList => edges::accounts_list(&ctx),
        Endpoint::Permissions => edges::permissions(&ctx),
        Endpoint::PageSubscribedApps => edges::subscribed_apps(&ctx),
        Endpoint::InsightsAccount => insights::account(&ctx),
        Endpoint::InsightsMedia => insights::media(&ctx),
        Endpoint::MediaCreate => publishing::create::run(&ctx).await,
        Endpoint::MediaPublish => publishing::publish::run(&ctx),
        Endpoint::PublishingLimit => publishing::limit::run(&ctx),
        Endpoint::Batch
        | Endpoint::IdsGet
        | Endpoint::DebugToken
        | Endpoint::OauthAccessToken
        | Endpoint::Unknown => Err(MetaError::unknown_error()),
    };
    Answer {
        result,
        app: Some(caller.app),
        igs: ig.into_iter().collect(),
    }
}

/// A refused call: the error, and the app and account whose usage headers it still carries.
/// Boxed, as refusals are the rare path.
type Refusal = Box<(MetaError, Option<u64>, Option<u64>)>;

fn refuse(error: MetaError, app: Option<u64>, ig: Option<u64>) -> Refusal {
    Box::new((error, app, ig))
}

/// Token, appsecret_proof, route, access, permissions and budgets, in Meta's order.
fn admit(
    state: &SimState,
    call: &GraphCall,
    routed: &Routed,
    now_ms: i64,
) -> Result<(Caller, u64, Option<u64>), Refusal> {
    let world = state.world.lock();
    let caller =
        authenticate(&world, call.token.as_deref(), now_ms).map_err(|e| refuse(e, None, None))?;
    let app = Some(caller.app);
    check_appsecret_proof(&world, &caller, &call.params).map_err(|e| refuse(e, app, None))?;
    if let Some(error) = &routed.error {
        return Err(refuse(error.clone(), app, None));
    }
    let Some((node, kind)) = routed.node else {
        return Err(refuse(MetaError::unknown_error(), app, None));
    };
    let ig = owning_ig(&world, node, kind);
    if !reaches(&world, &caller, node, kind, ig) {
        let shown = call.path.first().map_or(String::new(), Clone::clone);
        return Err(refuse(
            MetaError::unsupported_request(call.verb.word(), &shown),
            app,
            None,
        ));
    }
    caller
        .require(routed.endpoint.needs())
        .map_err(|e| refuse(e, app, ig))?;
    if routed.endpoint == Endpoint::PageGet
        && !(caller.scopes.has("pages_show_list") || caller.scopes.has("pages_read_engagement"))
    {
        return Err(refuse(MetaError::permission_denied(), app, ig));
    }
    let keys = usage_keys(&caller, ig);
    drop(world);
    state
        .usage
        .admit(now_ms, keys, 1)
        .map_err(|e| refuse(e, app, ig))?;
    Ok((caller, node, ig))
}

/// Whose budgets a call draws on.
pub fn usage_keys(caller: &Caller, ig: Option<u64>) -> UsageKeys {
    UsageKeys {
        app: Some(caller.app),
        user: match caller.kind {
            CallerKind::User { user } => Some(user),
            _ => None,
        },
        page: match caller.kind {
            CallerKind::Page { page, .. } => Some(page),
            _ => None,
        },
        ig,
    }
}

/// The Instagram account a node belongs to.
pub fn owning_ig(world: &World, node: u64, kind: NodeKind) -> Option<u64> {
    match kind {
        NodeKind::IgUser => Some(node),
        NodeKind::Container => world.containers.get(&node).map(|c| c.owner),
        NodeKind::Media => world.media.get(&node).map(|m| m.owner),
        NodeKind::Comment => world
            .comments
            .get(&node)
            .and_then(|c| world.media.get(&c.media))
            .map(|m| m.owner),
        NodeKind::Page | NodeKind::User | NodeKind::App => None,
    }
}

fn reaches(world: &World, caller: &Caller, node: u64, kind: NodeKind, ig: Option<u64>) -> bool {
    match kind {
        NodeKind::Page => caller.reaches_page(world, node),
        NodeKind::User => caller.user() == Some(node),
        NodeKind::App => false,
        _ => ig.is_some_and(|ig| caller.reaches_ig(world, ig)),
    }
}
