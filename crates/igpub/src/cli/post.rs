//! `igpub post create|list|show|cancel|retry`: posts of one tenant from the command line,
//! through the same library calls as the HTTP API.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::publish::Posts;
use crate::publish::service::{CreatePost, ListQuery, PostView};
use crate::store::{IntegrationId, PostId, PostState, TenantId};

/// Flags of `igpub post`.
#[derive(Debug, Args)]
#[command(about = "Create, list, show, cancel and retry posts of a tenant")]
pub struct PostArgs {
    /// The tenant whose posts these are.
    #[arg(long, env = "IGPUB_TENANT")]
    pub tenant: TenantId,
    /// What to do.
    #[command(subcommand)]
    pub command: PostCommand,
}

/// `igpub post …` commands.
#[derive(Debug, Subcommand)]
pub enum PostCommand {
    /// Create a post from a JSON file (the body of `POST /v1/posts` without `integration_id`)
    /// or from flags.
    Create(CreateArgs),
    /// List posts by time.
    List {
        /// Only posts in this state (e.g. scheduled, published, failed).
        #[arg(long)]
        state: Option<String>,
        /// Only posts of this integration.
        #[arg(long)]
        integration: Option<IntegrationId>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// The next_cursor of the previous page.
        #[arg(long)]
        cursor: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one post with its timeline, as JSON.
    Show {
        /// The post id.
        id: PostId,
    },
    /// Cancel a post that is not published.
    Cancel {
        /// The post id.
        id: PostId,
    },
    /// Schedule a failed post again.
    Retry {
        /// The post id.
        id: PostId,
    },
}

/// Flags of `igpub post create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The integration (Instagram account) to publish to.
    #[arg(long)]
    pub integration: IntegrationId,
    /// A JSON file holding the post; the flags below are ignored when it is given.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// image, carousel, reel or story.
    #[arg(long, default_value = "image")]
    pub kind: String,
    /// The caption.
    #[arg(long)]
    pub caption: Option<String>,
    /// A media URL (repeat for a carousel).
    #[arg(long = "media")]
    pub media: Vec<String>,
    /// `now`, an RFC 3339 instant, or a local time with --time-zone.
    #[arg(long)]
    pub publish_at: Option<String>,
    /// The IANA time zone of a local --publish-at.
    #[arg(long)]
    pub time_zone: Option<String>,
    /// A comment posted under the post once it is live.
    #[arg(long)]
    pub first_comment: Option<String>,
    /// Keep it as a draft.
    #[arg(long)]
    pub draft: bool,
    /// Makes retries of this command safe: the same key returns the same post.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

impl CreateArgs {
    fn post(&self) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
        if let Some(file) = &self.file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let serde_json::Value::Object(map) = value else {
                anyhow::bail!("{} must hold a JSON object", file.display());
            };
            return Ok(map);
        }
        let mut post = serde_json::Map::new();
        post.insert("kind".into(), self.kind.clone().into());
        if let Some(caption) = &self.caption {
            post.insert("caption".into(), caption.clone().into());
        }
        let media: Vec<serde_json::Value> = self
            .media
            .iter()
            .map(|url| serde_json::json!({"url": url}))
            .collect();
        post.insert("media".into(), media.into());
        match (&self.publish_at, &self.time_zone) {
            (Some(local), Some(zone)) => {
                post.insert(
                    "publish_at".into(),
                    serde_json::json!({"local": local, "time_zone": zone}),
                );
            }
            (Some(at), None) => {
                post.insert("publish_at".into(), at.clone().into());
            }
            (None, Some(_)) => anyhow::bail!("--time-zone needs --publish-at"),
            (None, None) => {}
        }
        if let Some(comment) = &self.first_comment {
            post.insert("first_comment".into(), comment.clone().into());
        }
        if self.draft {
            post.insert("draft".into(), true.into());
        }
        Ok(post)
    }
}

/// Runs `igpub post …`.
pub async fn run(global: &GlobalArgs, args: PostArgs) -> anyhow::Result<ExitCode> {
    let store = global.open_store().await?;
    let posts = Posts::new(std::sync::Arc::clone(&store));
    let mut out = std::io::stdout().lock();
    let result = command(&posts, args.tenant, args.command, &mut out).await;
    store.close().await;
    result
}

async fn command(
    posts: &Posts,
    tenant: TenantId,
    command: PostCommand,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match command {
        PostCommand::Create(create) => {
            let request = CreatePost {
                auto_fix: None,
                integration_id: create.integration,
                post: create.post()?,
            };
            let (view, created) = posts
                .create(tenant, request, create.idempotency_key.clone())
                .await?;
            if !created {
                writeln!(out, "(the post created earlier with this idempotency key)")?;
            }
            print_json(out, &view)?;
        }
        PostCommand::List {
            state,
            integration,
            limit,
            cursor,
            json,
        } => {
            let state = state
                .map(|text| text.parse::<PostState>())
                .transpose()
                .map_err(|error| anyhow::anyhow!("--state: {error}"))?;
            let page = posts
                .list(
                    tenant,
                    ListQuery {
                        state,
                        integration_id: integration,
                        cursor,
                        limit: Some(limit),
                        ..ListQuery::default()
                    },
                )
                .await?;
            if json {
                print_json(out, &page)?;
            } else {
                print_table(out, &page.posts)?;
                if let Some(next) = page.next_cursor {
                    writeln!(out, "more: --cursor {next}")?;
                }
            }
        }
        PostCommand::Show { id } => print_json(out, &posts.get(tenant, id).await?)?,
        PostCommand::Cancel { id } => print_json(out, &posts.cancel(tenant, id).await?)?,
        PostCommand::Retry { id } => print_json(out, &posts.retry(tenant, id).await?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

fn print_table(out: &mut dyn Write, posts: &[PostView]) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<36}  {:<13}  {:<8}  {:<24}  PERMALINK",
        "ID", "STATE", "KIND", "RUN AT"
    )?;
    for post in posts {
        writeln!(
            out,
            "{:<36}  {:<13}  {:<8}  {:<24}  {}",
            post.id,
            post.state,
            post.kind,
            post.run_at,
            post.permalink.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}
