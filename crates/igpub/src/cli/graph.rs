//! `igpub graph …`: the typed Graph API client on the command line, with no database.
//!
//! Each command prints its typed result as pretty JSON on stdout. A failure goes to stderr with
//! Meta's code, subcode, user title and message and fbtrace_id, and the exit status is 1.

use clap::{Args, Subcommand};
use futures::{StreamExt, TryStreamExt};
use igpub_graph::{
    AccessToken, AccountInsightsQuery, AppCredentials, AppId, AuthedClient, CarouselItem,
    CarouselPost, ContainerId, GraphClient, GraphError, IgUserId, ImagePost, MediaId,
    MediaInsightsQuery, MediaListQuery, MetricType, PageId, Period, ReelPost, StoryMedia,
    StoryPost,
};
use jiff::Timestamp;
use secrecy::SecretString;
use serde::Serialize;
use std::process::ExitCode;
use url::Url;

/// Flags of `igpub graph`.
#[derive(Debug, Args)]
#[command(
    about = "Call Meta's Graph API (or the simulator) with the typed client; prints JSON",
    long_about = "Call Meta's Instagram Graph API (Facebook Login flavour) directly with igpub's typed \
                  client. No database is needed. Each command prints its typed result as JSON on \
                  stdout; errors go to stderr with Meta's code, subcode, user message and fbtrace_id.\n\n\
                  Point --graph-url at `igpub sim` to try everything locally.",
    after_help = "Examples:\n  \
                  IGPUB_TOKEN=EAAB… igpub graph verify --ig-user-id 17841400008460056\n  \
                  igpub graph --graph-url http://127.0.0.1:8080 pages\n  \
                  igpub graph publish-image --ig-user-id 17841400008460056 --image-url https://example.com/a.jpg --caption 'Hello' --draft"
)]
pub struct GraphArgs {
    /// Graph API base URL: Meta, or a simulator such as `igpub sim`.
    #[arg(long, global = true, default_value = igpub_graph::DEFAULT_BASE_URL)]
    pub graph_url: String,
    /// Graph API version, like v25.0.
    #[arg(long, global = true, default_value = igpub_graph::DEFAULT_API_VERSION)]
    pub api_version: String,
    /// Access token: the Page token for Instagram calls, a user token for `pages`. Prefer the
    /// IGPUB_TOKEN environment variable, since flags show in process lists.
    #[arg(long, global = true, env = "IGPUB_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// App secret: adds appsecret_proof to every call; required by `debug-token`.
    #[arg(long, global = true, env = "IGPUB_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: GraphCommand,
}

/// The `igpub graph` commands.
#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// Read an Instagram account: id, username, name, picture, followers and media counts.
    Account {
        /// Instagram professional account id (17841…).
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
    },
    /// Check that the token can see an Instagram professional account; fails if not.
    Verify {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
    },
    /// List the Facebook Pages of the token's user with their linked Instagram accounts
    /// (`/me/accounts`; Page tokens are never printed).
    Pages,
    /// Find the Instagram account linked to a Facebook Page.
    Discover {
        /// Facebook Page id.
        #[arg(long, value_parser = id::<PageId>)]
        page_id: PageId,
    },
    /// Publish one image: create the container, wait until FINISHED, publish, read the permalink.
    PublishImage {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// Public JPEG URL (Meta fetches it).
        #[arg(long)]
        image_url: Url,
        /// Caption (up to 2200 characters).
        #[arg(long)]
        caption: String,
        /// Alt text (up to 1000 characters).
        #[arg(long)]
        alt_text: Option<String>,
        /// Create the container only; print its id and expiry (24 h) without publishing.
        #[arg(long)]
        draft: bool,
    },
    /// Publish a carousel of 2–10 items: images first, then videos, each in the order given.
    PublishCarousel {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// An image item (repeat the flag for more).
        #[arg(long = "image-url")]
        image_urls: Vec<Url>,
        /// A video item (repeat the flag for more).
        #[arg(long = "video-url")]
        video_urls: Vec<Url>,
        /// Caption of the carousel.
        #[arg(long)]
        caption: String,
        /// Create the containers only; print their ids and expiry without publishing.
        #[arg(long)]
        draft: bool,
    },
    /// Publish a reel (single videos are always reels).
    PublishReel {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// Public MP4/MOV URL.
        #[arg(long)]
        video_url: Url,
        /// Cover image URL (overrides --thumb-offset).
        #[arg(long)]
        cover_url: Option<Url>,
        /// Cover frame, in milliseconds from the start.
        #[arg(long)]
        thumb_offset: Option<u64>,
        /// Also show the reel in the feed (`--share-to-feed` or `--share-to-feed false`).
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        share_to_feed: Option<bool>,
        /// Caption.
        #[arg(long)]
        caption: String,
        /// Create the container only, without publishing.
        #[arg(long)]
        draft: bool,
    },
    /// Publish a story: one image or one video.
    PublishStory {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// Public JPEG URL.
        #[arg(long, group = "story_media")]
        image_url: Option<Url>,
        /// Public MP4/MOV URL.
        #[arg(long, group = "story_media")]
        video_url: Option<Url>,
        /// Create the container only, without publishing.
        #[arg(long)]
        draft: bool,
    },
    /// Read a container's status (IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED).
    Container {
        /// Container id.
        #[arg(long, value_parser = id::<ContainerId>)]
        id: ContainerId,
    },
    /// Publish an existing container (e.g. a draft) and read the new media.
    PublishContainer {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// Container id.
        #[arg(long, value_parser = id::<ContainerId>)]
        container_id: ContainerId,
    },
    /// Read one media object: permalink, type, product type, timestamp, caption, shortcode.
    Media {
        /// Media id.
        #[arg(long, value_parser = id::<MediaId>)]
        id: MediaId,
    },
    /// List an account's recent media, newest first, following cursors.
    MediaList {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// How many media to print at most.
        #[arg(long, default_value_t = 25)]
        limit: u32,
    },
    /// Account insights; ranges over 30 days are split into windows and merged.
    Insights {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
        /// Metric name, e.g. reach, views, likes (repeat the flag or separate with commas).
        #[arg(long = "metric", required = true, value_delimiter = ',')]
        metrics: Vec<String>,
        /// day, week, days_28, month, lifetime or total_over_range.
        #[arg(long)]
        period: Period,
        /// time_series or total_value.
        #[arg(long)]
        metric_type: Option<MetricType>,
        /// Breakdown, e.g. media_product_type (repeat or separate with commas).
        #[arg(long = "breakdown", value_delimiter = ',')]
        breakdowns: Vec<String>,
        /// Range start: Unix seconds, RFC 3339 (2026-01-01T00:00:00Z) or a UTC date (2026-01-01).
        #[arg(long, value_parser = parse_instant)]
        since: Timestamp,
        /// Range end, in the same forms as --since.
        #[arg(long, value_parser = parse_instant)]
        until: Timestamp,
    },
    /// Media insights (lifetime).
    MediaInsights {
        /// Media id.
        #[arg(long, value_parser = id::<MediaId>)]
        media_id: MediaId,
        /// Metric name, e.g. reach, saved, views (repeat or separate with commas).
        #[arg(long = "metric", required = true, value_delimiter = ',')]
        metrics: Vec<String>,
        /// Breakdown, e.g. action_type.
        #[arg(long = "breakdown", value_delimiter = ',')]
        breakdowns: Vec<String>,
    },
    /// Read the account's content publishing quota (usage, total, window).
    Limit {
        /// Instagram professional account id.
        #[arg(long, value_parser = id::<IgUserId>)]
        ig_user_id: IgUserId,
    },
    /// Inspect a token with `debug_token`, authenticated as the app (needs --app-secret).
    DebugToken {
        /// The token to inspect (or IGPUB_INPUT_TOKEN).
        #[arg(long, env = "IGPUB_INPUT_TOKEN", hide_env_values = true)]
        input_token: String,
        /// The app id.
        #[arg(long, value_parser = id::<AppId>)]
        app_id: AppId,
    },
}

/// Parses an id with its own rules (non-empty, nothing that would change the request path);
/// clap would otherwise take any string through `From<String>`.
fn id<T: std::str::FromStr<Err = GraphError>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|error: GraphError| error.to_string())
}

/// Parses Unix seconds, an RFC 3339 instant, or a date (midnight UTC).
fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Timestamp::from_second(seconds).map_err(|error| format!("{text}: {error}"));
    }
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    text.parse::<jiff::civil::Date>()
        .map_err(|_| {
            format!("{text:?} is not Unix seconds, an RFC 3339 instant or a YYYY-MM-DD date")
        })
        .and_then(|date| {
            date.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|zoned| zoned.timestamp())
                .map_err(|error| format!("{text}: {error}"))
        })
}

/// Runs `igpub graph`.
pub async fn run(args: GraphArgs) -> anyhow::Result<ExitCode> {
    match execute(&args).await {
        Ok(output) => {
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprint!("{}", render_error(&error));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Describes an error for a person: Meta's fields, one per line, and what the client makes of it.
pub fn render_error(error: &GraphError) -> String {
    let mut out = format!("error: {error}\n");
    if let Some(api) = error.api() {
        out.push_str(&format!("  code: {}\n", api.code));
        if let Some(subcode) = api.error_subcode {
            out.push_str(&format!("  subcode: {subcode}\n"));
        }
        out.push_str(&format!("  type: {}\n", api.error_type));
        out.push_str(&format!("  message: {}\n", api.message));
        if let Some(title) = &api.error_user_title {
            out.push_str(&format!("  user title: {title}\n"));
        }
        if let Some(message) = &api.error_user_msg {
            out.push_str(&format!("  user message: {message}\n"));
        }
        if let Some(trace) = &api.fbtrace_id {
            out.push_str(&format!("  fbtrace_id: {trace}\n"));
        }
        out.push_str(&format!("  http status: {}\n", api.http_status));
    } else if let Some(subcode) = error.subcode() {
        out.push_str(&format!("  subcode: {subcode}\n"));
    }
    out.push_str(&format!("  class: {:?}\n", error.classify(0)));
    if error.is_ambiguous() {
        out.push_str(
            "  note: the request may have taken effect at Meta; check before repeating it\n",
        );
    }
    out
}

fn to_json(value: impl Serialize) -> Result<serde_json::Value, GraphError> {
    serde_json::to_value(value)
        .map_err(|error| GraphError::invalid_input("output", error.to_string()))
}

fn base_client(args: &GraphArgs) -> Result<GraphClient, GraphError> {
    let mut builder = GraphClient::builder()
        .base_url(args.graph_url.clone())
        .api_version(args.api_version.clone());
    if let Some(secret) = &args.app_secret {
        builder = builder.app_secret(SecretString::from(secret.clone()));
    }
    builder.build()
}

fn account(args: &GraphArgs, client: &GraphClient) -> Result<AuthedClient, GraphError> {
    match &args.token {
        Some(token) if !token.trim().is_empty() => {
            Ok(client.with_token(AccessToken::new(token.trim())))
        }
        _ => Err(GraphError::invalid_input(
            "token",
            "pass --token or set IGPUB_TOKEN",
        )),
    }
}

/// Runs one command and gives its typed result as JSON.
pub async fn execute(args: &GraphArgs) -> Result<serde_json::Value, GraphError> {
    let client = base_client(args)?;
    if let GraphCommand::DebugToken {
        input_token,
        app_id,
    } = &args.command
    {
        let Some(secret) = &args.app_secret else {
            return Err(GraphError::invalid_input(
                "app-secret",
                "debug-token needs --app-secret or IGPUB_APP_SECRET",
            ));
        };
        let credentials = AppCredentials::new(app_id.clone(), SecretString::from(secret.clone()));
        return to_json(
            client
                .debug_token(&credentials, &AccessToken::new(input_token.trim()))
                .await?,
        );
    }
    let account = account(args, &client)?;
    match &args.command {
        GraphCommand::Account { ig_user_id } => to_json(account.ig_user(ig_user_id).await?),
        GraphCommand::Verify { ig_user_id } => to_json(account.verify(ig_user_id).await?),
        GraphCommand::Pages => to_json(account.all_pages().await?),
        GraphCommand::Discover { page_id } => {
            to_json(account.page_instagram_account(page_id).await?)
        }
        GraphCommand::PublishImage {
            ig_user_id,
            image_url,
            caption,
            alt_text,
            draft,
        } => {
            let post = ImagePost {
                caption: Some(caption.clone()),
                alt_text: alt_text.clone(),
                ..ImagePost::new(image_url.clone())
            };
            if *draft {
                to_json(account.draft_image(ig_user_id, &post).await?)
            } else {
                to_json(account.publish_image(ig_user_id, &post).await?)
            }
        }
        GraphCommand::PublishCarousel {
            ig_user_id,
            image_urls,
            video_urls,
            caption,
            draft,
        } => {
            let items = image_urls
                .iter()
                .cloned()
                .map(CarouselItem::image)
                .chain(video_urls.iter().cloned().map(CarouselItem::video))
                .collect();
            let post = CarouselPost {
                caption: Some(caption.clone()),
                ..CarouselPost::new(items)
            };
            if *draft {
                to_json(account.draft_carousel(ig_user_id, &post).await?)
            } else {
                to_json(account.publish_carousel(ig_user_id, &post).await?)
            }
        }
        GraphCommand::PublishReel {
            ig_user_id,
            video_url,
            cover_url,
            thumb_offset,
            share_to_feed,
            caption,
            draft,
        } => {
            let reel = ReelPost {
                caption: Some(caption.clone()),
                cover_url: cover_url.clone(),
                thumb_offset_ms: *thumb_offset,
                share_to_feed: *share_to_feed,
                ..ReelPost::new(video_url.clone())
            };
            if *draft {
                to_json(account.draft_reel(ig_user_id, &reel).await?)
            } else {
                to_json(account.publish_reel(ig_user_id, &reel).await?)
            }
        }
        GraphCommand::PublishStory {
            ig_user_id,
            image_url,
            video_url,
            draft,
        } => {
            let media = match (image_url, video_url) {
                (Some(image), None) => StoryMedia::Image(image.clone()),
                (None, Some(video)) => StoryMedia::Video(video.clone()),
                _ => {
                    return Err(GraphError::invalid_input(
                        "image-url/video-url",
                        "give exactly one of them",
                    ));
                }
            };
            let story = StoryPost::new(media);
            if *draft {
                to_json(account.draft_story(ig_user_id, &story).await?)
            } else {
                to_json(account.publish_story(ig_user_id, &story).await?)
            }
        }
        GraphCommand::Container { id } => to_json(account.container_status(id).await?),
        GraphCommand::PublishContainer {
            ig_user_id,
            container_id,
        } => to_json(account.publish_and_fetch(ig_user_id, container_id).await?),
        GraphCommand::Media { id } => to_json(account.media(id).await?),
        GraphCommand::MediaList { ig_user_id, limit } => {
            let query = MediaListQuery {
                limit: Some((*limit).clamp(1, 100)),
                ..MediaListQuery::default()
            };
            let take = usize::try_from(*limit).unwrap_or(usize::MAX);
            let media: Vec<_> = account
                .recent_media(ig_user_id, &query)
                .take(take)
                .try_collect()
                .await?;
            to_json(media)
        }
        GraphCommand::Insights {
            ig_user_id,
            metrics,
            period,
            metric_type,
            breakdowns,
            since,
            until,
        } => {
            let mut query = AccountInsightsQuery::new(metrics.iter().cloned(), period.clone());
            query.metric_type = metric_type.clone();
            query.breakdowns = breakdowns.clone();
            query.since = Some(*since);
            query.until = Some(*until);
            to_json(account.account_insights(ig_user_id, &query).await?)
        }
        GraphCommand::MediaInsights {
            media_id,
            metrics,
            breakdowns,
        } => {
            let mut query = MediaInsightsQuery::new(metrics.iter().cloned());
            query.breakdowns = breakdowns.clone();
            to_json(account.media_insights(media_id, &query).await?)
        }
        GraphCommand::Limit { ig_user_id } => to_json(account.publishing_limit(ig_user_id).await?),
        GraphCommand::DebugToken { .. } => {
            Err(GraphError::invalid_input("command", "handled above"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(flatten)]
        args: GraphArgs,
    }

    fn parse(words: &[&str]) -> Result<GraphArgs, clap::Error> {
        TestCli::try_parse_from(std::iter::once("graph").chain(words.iter().copied()))
            .map(|cli| cli.args)
    }

    fn parsed(words: &[&str]) -> GraphArgs {
        parse(words).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        TestCli::command().debug_assert();
    }

    #[test]
    fn common_flags_may_follow_the_command() {
        let args = parsed(&[
            "verify",
            "--ig-user-id",
            "1",
            "--token",
            "t",
            "--graph-url",
            "http://127.0.0.1:9",
        ]);
        assert_eq!(args.token.as_deref(), Some("t"));
        assert_eq!(args.graph_url, "http://127.0.0.1:9");
        assert_eq!(args.api_version, "v25.0");
    }

    #[test]
    fn a_story_takes_an_image_or_a_video_not_both() {
        assert!(
            parse(&[
                "publish-story",
                "--ig-user-id",
                "1",
                "--image-url",
                "https://e.x/a.jpg",
                "--video-url",
                "https://e.x/v.mp4"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "publish-story",
                "--ig-user-id",
                "1",
                "--video-url",
                "https://e.x/v.mp4"
            ])
            .is_ok()
        );
    }

    #[test]
    fn ids_and_urls_are_checked_by_the_parser() {
        assert!(parse(&["account", "--ig-user-id", ""]).is_err());
        assert!(parse(&["account", "--ig-user-id", "1/media"]).is_err());
        assert!(
            parse(&[
                "publish-image",
                "--ig-user-id",
                "1",
                "--image-url",
                "not a url",
                "--caption",
                "c"
            ])
            .is_err()
        );
    }

    #[test]
    fn insights_take_comma_joined_or_repeated_metrics_and_several_time_forms() {
        let args = parsed(&[
            "insights",
            "--ig-user-id",
            "1",
            "--metric",
            "reach,views",
            "--metric",
            "likes",
            "--period",
            "day",
            "--since",
            "2026-01-01",
            "--until",
            "1767830400",
        ]);
        let GraphCommand::Insights {
            metrics,
            period,
            since,
            until,
            ..
        } = args.command
        else {
            panic!("insights expected")
        };
        assert_eq!(metrics, ["reach", "views", "likes"]);
        assert_eq!(period, Period::Day);
        assert_eq!(since.as_second(), 1_767_225_600);
        assert_eq!(until.as_second(), 1_767_830_400);
        assert!(parse_instant("2026-01-01T07:00:00Z").is_ok());
        assert!(parse_instant("last tuesday").is_err());
    }

    #[test]
    fn share_to_feed_is_a_flag_with_an_optional_value() {
        let on = parsed(&[
            "publish-reel",
            "--ig-user-id",
            "1",
            "--video-url",
            "https://e.x/v.mp4",
            "--caption",
            "c",
            "--share-to-feed",
        ]);
        assert!(matches!(
            on.command,
            GraphCommand::PublishReel {
                share_to_feed: Some(true),
                ..
            }
        ));
        let off = parsed(&[
            "publish-reel",
            "--ig-user-id",
            "1",
            "--video-url",
            "https://e.x/v.mp4",
            "--caption",
            "c",
            "--share-to-feed",
            "false",
        ]);
        assert!(matches!(
            off.command,
            GraphCommand::PublishReel {
                share_to_feed: Some(false),
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_command_without_a_token_says_how_to_give_one() {
        let mut args = parsed(&["account", "--ig-user-id", "1"]);
        args.token = None;
        let message = execute(&args)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("IGPUB_TOKEN"), "{message}");
    }

    #[tokio::test]
    async fn limit_prints_the_typed_quota() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v25.0/17841400008460056/content_publishing_limit"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}"#,
                "application/json",
            ))
            .mount(&server)
            .await;
        let uri = server.uri();
        let args = parsed(&[
            "limit",
            "--ig-user-id",
            "17841400008460056",
            "--token",
            "EAAtoken",
            "--graph-url",
            &uri,
        ]);
        let output = execute(&args)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            output,
            serde_json::json!({"quota_usage": 2, "config": {"quota_total": 50, "quota_duration": 86400}})
        );
    }

    #[tokio::test]
    async fn pages_never_print_page_tokens() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v25.0/me/accounts"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"data":[{"access_token":"EAABpage-secret","name":"My Page","id":"134895793791914","tasks":["MANAGE"],
                    "instagram_business_account":{"id":"17841449039477317"}}]}"#,
                "application/json",
            ))
            .mount(&server)
            .await;
        let uri = server.uri();
        let args = parsed(&["pages", "--token", "EAAuser", "--graph-url", &uri]);
        let output = execute(&args)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(!output.to_string().contains("EAABpage-secret"));
        assert_eq!(
            output.pointer("/0/instagram_business_account/id"),
            Some(&serde_json::json!("17841449039477317"))
        );
    }

    #[tokio::test]
    async fn a_graph_error_is_rendered_with_metas_fields() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(query_param("fields", "id,username,name"))
            .respond_with(ResponseTemplate::new(400).set_body_raw(
                r#"{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33,
                    "error_user_title":"Not found","error_user_msg":"No such account","fbtrace_id":"AbC123"}}"#,
                "application/json",
            ))
            .mount(&server)
            .await;
        let uri = server.uri();
        let args = parsed(&[
            "verify",
            "--ig-user-id",
            "1",
            "--token",
            "EAAtoken-cli",
            "--graph-url",
            &uri,
        ]);
        let error = execute(&args)
            .await
            .err()
            .unwrap_or_else(|| panic!("400 must fail"));
        let text = render_error(&error);
        for expected in [
            "code: 100",
            "subcode: 33",
            "user title: Not found",
            "user message: No such account",
            "fbtrace_id: AbC123",
            "class: Permanent",
        ] {
            assert!(text.contains(expected), "{expected} missing in:\n{text}");
        }
        assert!(!text.contains("EAAtoken-cli"));
        assert_eq!(run(args).await.ok(), Some(ExitCode::FAILURE));
    }

    #[tokio::test]
    async fn debug_token_needs_the_app_secret() {
        let mut args = parsed(&["debug-token", "--input-token", "EAAx", "--app-id", "1"]);
        args.app_secret = None;
        let message = execute(&args)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("app-secret"), "{message}");
    }
}
