//! Content publishing (graph-api.md §2): container specs as plain data, the separate steps
//! (create, publish, publish-and-fetch), drafts, and the one-call helpers.

use futures::{StreamExt, TryStreamExt};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use url::Url;

use crate::batch::{BatchRequest, BatchResponse};
use crate::client::AuthedClient;
use crate::container::{ContainerReady, PollPolicy};
use crate::error::GraphError;
use crate::ids::{ContainerId, IgUserId, MediaId, PageId};
use crate::media::{IdOnly, MEDIA_FIELDS, Media};
use crate::meta_enum::meta_enum;
use crate::request::{GraphRequest, Method};

/// Longest caption (graph-api.md §2.2).
pub const MAX_CAPTION_CHARS: usize = 2200;
/// Longest `alt_text` (§2.2).
pub const MAX_ALT_TEXT_CHARS: usize = 1000;
/// Most collaborators on one post (§2.2).
pub const MAX_COLLABORATORS: usize = 3;
/// Fewest children of a carousel (§2.4).
pub const MIN_CAROUSEL_ITEMS: usize = 2;
/// Most children of a carousel (§2.4; the app allows 20, the API still 10).
pub const MAX_CAROUSEL_ITEMS: usize = 10;
/// How many carousel children are created at once.
pub const CAROUSEL_CHILD_CONCURRENCY: usize = 4;
/// Containers expire 24 h after creation (§2.2 Limitations).
pub const CONTAINER_LIFETIME: SignedDuration = SignedDuration::from_hours(24);

/// A person tagged on an image or story: `{username, x, y}` (§2.2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserTag {
    /// The tagged account's username.
    pub username: String,
    /// Horizontal position, 0.0–1.0 (required on images, optional on stories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// Vertical position, 0.0–1.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

impl UserTag {
    /// A tag at a position on an image.
    pub fn at(username: impl Into<String>, x: f64, y: f64) -> Self {
        Self {
            username: username.into(),
            x: Some(x),
            y: Some(y),
        }
    }

    /// A tag without position (stories only).
    pub fn unplaced(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            x: None,
            y: None,
        }
    }
}

meta_enum! {
    /// `trial_params.graduation_strategy` of a trial reel (§2.4).
    GraduationStrategy {
        /// The owner graduates the trial by hand.
        Manual => "MANUAL",
        /// Instagram graduates it if it performs well.
        SsPerformance => "SS_PERFORMANCE",
    }
}

/// `trial_params` of a reel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrialParams {
    /// The one required key.
    pub graduation_strategy: GraduationStrategy,
}

/// A single-image feed post.
#[derive(Clone, Debug, PartialEq)]
pub struct ImagePost {
    /// Public JPEG URL; Meta fetches it.
    pub image_url: Url,
    /// Caption.
    pub caption: Option<String>,
    /// Alt text (≤1000 characters).
    pub alt_text: Option<String>,
    /// Tagged people (positions required).
    pub user_tags: Vec<UserTag>,
    /// A Page id with location data.
    pub location_id: Option<PageId>,
    /// Up to 3 collaborator usernames.
    pub collaborators: Vec<String>,
}

impl ImagePost {
    /// An image post with nothing but the image.
    pub fn new(image_url: Url) -> Self {
        Self {
            image_url,
            caption: None,
            alt_text: None,
            user_tags: Vec::new(),
            location_id: None,
            collaborators: Vec::new(),
        }
    }
}

/// One child of a carousel: an image or a video. Children take no caption or location.
#[derive(Clone, Debug, PartialEq)]
pub enum CarouselItem {
    /// An image child.
    Image {
        /// Public JPEG URL.
        image_url: Url,
        /// Alt text.
        alt_text: Option<String>,
        /// Tagged people.
        user_tags: Vec<UserTag>,
    },
    /// A video child (the only place `media_type=VIDEO` is still valid, §2.4).
    Video {
        /// Public MP4/MOV URL.
        video_url: Url,
    },
}

impl CarouselItem {
    /// An image child with no alt text or tags.
    pub fn image(image_url: Url) -> Self {
        CarouselItem::Image {
            image_url,
            alt_text: None,
            user_tags: Vec::new(),
        }
    }

    /// A video child.
    pub fn video(video_url: Url) -> Self {
        CarouselItem::Video { video_url }
    }

    fn is_video(&self) -> bool {
        matches!(self, CarouselItem::Video { .. })
    }
}

/// A carousel post: 2–10 children; caption, location and collaborators on the parent only.
#[derive(Clone, Debug, PartialEq)]
pub struct CarouselPost {
    /// The children, in order.
    pub items: Vec<CarouselItem>,
    /// Caption.
    pub caption: Option<String>,
    /// A Page id with location data.
    pub location_id: Option<PageId>,
    /// Up to 3 collaborator usernames.
    pub collaborators: Vec<String>,
}

impl CarouselPost {
    /// A carousel of these children.
    pub fn new(items: Vec<CarouselItem>) -> Self {
        Self {
            items,
            caption: None,
            location_id: None,
            collaborators: Vec::new(),
        }
    }
}

/// The parent container of a carousel, once its children exist.
#[derive(Clone, Debug, PartialEq)]
pub struct CarouselContainer {
    /// Children container ids, in order.
    pub children: Vec<ContainerId>,
    /// Caption.
    pub caption: Option<String>,
    /// A Page id with location data.
    pub location_id: Option<PageId>,
    /// Up to 3 collaborator usernames.
    pub collaborators: Vec<String>,
}

/// A reel: the only way to post a single video (§2.4).
#[derive(Clone, Debug, PartialEq)]
pub struct ReelPost {
    /// Public MP4/MOV URL.
    pub video_url: Url,
    /// Caption.
    pub caption: Option<String>,
    /// Cover image URL; overrides `thumb_offset`.
    pub cover_url: Option<Url>,
    /// Cover frame, in milliseconds from the start.
    pub thumb_offset_ms: Option<u64>,
    /// Also show in the feed (`true`) or only in the Reels tab.
    pub share_to_feed: Option<bool>,
    /// Name for the reel's original audio (once only).
    pub audio_name: Option<String>,
    /// Up to 3 collaborator usernames.
    pub collaborators: Vec<String>,
    /// A Page id with location data.
    pub location_id: Option<PageId>,
    /// Tagged people.
    pub user_tags: Vec<UserTag>,
    /// Trial reel settings.
    pub trial_params: Option<TrialParams>,
}

impl ReelPost {
    /// A reel of this video.
    pub fn new(video_url: Url) -> Self {
        Self {
            video_url,
            caption: None,
            cover_url: None,
            thumb_offset_ms: None,
            share_to_feed: None,
            audio_name: None,
            collaborators: Vec::new(),
            location_id: None,
            user_tags: Vec::new(),
            trial_params: None,
        }
    }
}

/// What a story shows.
#[derive(Clone, Debug, PartialEq)]
pub enum StoryMedia {
    /// A JPEG.
    Image(Url),
    /// A video.
    Video(Url),
}

/// A story: an image or a video, with optional tags (no caption, no collaborators).
#[derive(Clone, Debug, PartialEq)]
pub struct StoryPost {
    /// The media.
    pub media: StoryMedia,
    /// Tagged people (positions optional).
    pub user_tags: Vec<UserTag>,
}

impl StoryPost {
    /// A story of this media.
    pub fn new(media: StoryMedia) -> Self {
        Self {
            media,
            user_tags: Vec::new(),
        }
    }
}

/// Any container `POST /{ig-user-id}/media` can create. There is deliberately no standalone
/// video: single videos are reels (§2.4).
#[derive(Clone, Debug, PartialEq)]
pub enum ContainerSpec {
    /// A single-image feed post.
    Image(ImagePost),
    /// A carousel child.
    CarouselItem(CarouselItem),
    /// A carousel parent.
    Carousel(CarouselContainer),
    /// A reel.
    Reel(ReelPost),
    /// A story.
    Story(StoryPost),
}

/// What kind of post a draft is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PostKind {
    /// Single image.
    Image,
    /// Carousel.
    Carousel,
    /// Reel.
    Reel,
    /// Story.
    Story,
}

/// Containers created but not published: the platform's drafts. They expire 24 h after creation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Draft {
    /// What kind of post.
    pub kind: PostKind,
    /// The container to publish (the parent, for a carousel).
    pub container_id: ContainerId,
    /// Carousel children, in order; empty otherwise.
    pub children: Vec<ContainerId>,
    /// When the first container was requested (never later than Meta's creation time).
    pub created_at: Timestamp,
    /// 24 h after `created_at`: publish before this.
    pub expires_at: Timestamp,
    /// True for video posts, which take longer to process.
    pub has_video: bool,
}

/// A post that was published.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublishedPost {
    /// What kind of post.
    pub kind: PostKind,
    /// The container that was published.
    pub container_id: ContainerId,
    /// Carousel children, in order.
    pub children: Vec<ContainerId>,
    /// The new media id.
    pub media_id: MediaId,
    /// The media's fields (permalink, …), when the read after publishing worked.
    pub media: Option<Media>,
}

/// Media published by `media_publish`, with its fields when they could be read in the same batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublishedMedia {
    /// The new media id.
    pub media_id: MediaId,
    /// The media's fields, `None` if the read failed (the publish itself succeeded).
    pub media: Option<Media>,
}

/// How publishing a draft ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PublishOutcome {
    /// Published now.
    Published(Box<PublishedPost>),
    /// The container was already PUBLISHED: nothing was sent; look the media up instead.
    AlreadyPublished {
        /// The container.
        container_id: ContainerId,
    },
}

fn check_caption(caption: Option<&String>) -> Result<(), GraphError> {
    if let Some(caption) = caption {
        let chars = caption.chars().count();
        if chars > MAX_CAPTION_CHARS {
            return Err(GraphError::invalid_input(
                "caption",
                format!("at most {MAX_CAPTION_CHARS} characters, got {chars}"),
            ));
        }
    }
    Ok(())
}

fn check_alt_text(alt_text: Option<&String>) -> Result<(), GraphError> {
    if let Some(alt_text) = alt_text {
        let chars = alt_text.chars().count();
        if chars > MAX_ALT_TEXT_CHARS {
            return Err(GraphError::invalid_input(
                "alt_text",
                format!("at most {MAX_ALT_TEXT_CHARS} characters, got {chars}"),
            ));
        }
    }
    Ok(())
}

fn check_collaborators(collaborators: &[String]) -> Result<(), GraphError> {
    if collaborators.len() > MAX_COLLABORATORS {
        return Err(GraphError::invalid_input(
            "collaborators",
            format!(
                "at most {MAX_COLLABORATORS} usernames, got {}",
                collaborators.len()
            ),
        ));
    }
    if collaborators.iter().any(|name| name.trim().is_empty()) {
        return Err(GraphError::invalid_input(
            "collaborators",
            "usernames must not be empty",
        ));
    }
    Ok(())
}

fn check_user_tags(tags: &[UserTag], positions_required: bool) -> Result<(), GraphError> {
    for (index, tag) in tags.iter().enumerate() {
        if tag.username.trim().is_empty() {
            return Err(GraphError::invalid_input(
                format!("user_tags[{index}].username"),
                "must not be empty",
            ));
        }
        for (axis, value) in [("x", tag.x), ("y", tag.y)] {
            match value {
                None if positions_required => {
                    return Err(GraphError::invalid_input(
                        format!("user_tags[{index}].{axis}"),
                        "is required on images",
                    ));
                }
                Some(value) if !(0.0..=1.0).contains(&value) => {
                    return Err(GraphError::invalid_input(
                        format!("user_tags[{index}].{axis}"),
                        format!("must be between 0.0 and 1.0, got {value}"),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn check_carousel_size(count: usize, field: &str) -> Result<(), GraphError> {
    if !(MIN_CAROUSEL_ITEMS..=MAX_CAROUSEL_ITEMS).contains(&count) {
        return Err(GraphError::invalid_input(
            field,
            format!(
                "a carousel needs {MIN_CAROUSEL_ITEMS} to {MAX_CAROUSEL_ITEMS} items, got {count}"
            ),
        ));
    }
    Ok(())
}

/// List parameters go as JSON text (§2.1: "JSON-ish strings when URL-encoded").
fn json_list<T: Serialize>(items: &[T]) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        serde_json::to_string(items).ok()
    }
}

impl ContainerSpec {
    /// Checks Meta's documented rules (§2.2, §2.4) and builds `POST /{ig-user-id}/media`.
    pub fn to_request(&self, ig_user_id: &IgUserId) -> Result<GraphRequest, GraphError> {
        let request = GraphRequest::post(&[ig_user_id.as_str(), "media"]);
        match self {
            ContainerSpec::Image(post) => {
                check_caption(post.caption.as_ref())?;
                check_alt_text(post.alt_text.as_ref())?;
                check_user_tags(&post.user_tags, true)?;
                check_collaborators(&post.collaborators)?;
                Ok(request
                    .param("image_url", post.image_url.as_str())
                    .param_opt("caption", post.caption.clone())
                    .param_opt("alt_text", post.alt_text.clone())
                    .param_opt(
                        "location_id",
                        post.location_id.as_ref().map(PageId::to_string),
                    )
                    .param_opt("user_tags", json_list(&post.user_tags))
                    .param_opt("collaborators", json_list(&post.collaborators)))
            }
            ContainerSpec::CarouselItem(CarouselItem::Image {
                image_url,
                alt_text,
                user_tags,
            }) => {
                check_alt_text(alt_text.as_ref())?;
                check_user_tags(user_tags, true)?;
                Ok(request
                    .param("image_url", image_url.as_str())
                    .param("is_carousel_item", "true")
                    .param_opt("alt_text", alt_text.clone())
                    .param_opt("user_tags", json_list(user_tags)))
            }
            ContainerSpec::CarouselItem(CarouselItem::Video { video_url }) => Ok(request
                .param("media_type", "VIDEO")
                .param("video_url", video_url.as_str())
                .param("is_carousel_item", "true")),
            ContainerSpec::Carousel(parent) => {
                check_carousel_size(parent.children.len(), "children")?;
                check_caption(parent.caption.as_ref())?;
                check_collaborators(&parent.collaborators)?;
                let children = parent
                    .children
                    .iter()
                    .map(ContainerId::as_str)
                    .collect::<Vec<_>>()
                    .join(",");
                Ok(request
                    .param("media_type", "CAROUSEL")
                    .param("children", children)
                    .param_opt("caption", parent.caption.clone())
                    .param_opt(
                        "location_id",
                        parent.location_id.as_ref().map(PageId::to_string),
                    )
                    .param_opt("collaborators", json_list(&parent.collaborators)))
            }
            ContainerSpec::Reel(reel) => {
                check_caption(reel.caption.as_ref())?;
                check_collaborators(&reel.collaborators)?;
                check_user_tags(&reel.user_tags, false)?;
                if reel
                    .audio_name
                    .as_deref()
                    .is_some_and(|name| name.trim().is_empty())
                {
                    return Err(GraphError::invalid_input(
                        "audio_name",
                        "must not be empty when given",
                    ));
                }
                let trial = match &reel.trial_params {
                    Some(trial) => Some(serde_json::to_string(trial).map_err(|error| {
                        GraphError::invalid_input("trial_params", error.to_string())
                    })?),
                    None => None,
                };
                Ok(request
                    .param("media_type", "REELS")
                    .param("video_url", reel.video_url.as_str())
                    .param_opt("caption", reel.caption.clone())
                    .param_opt(
                        "share_to_feed",
                        reel.share_to_feed.map(|share| share.to_string()),
                    )
                    .param_opt("collaborators", json_list(&reel.collaborators))
                    .param_opt("cover_url", reel.cover_url.as_ref().map(Url::to_string))
                    .param_opt("audio_name", reel.audio_name.clone())
                    .param_opt("user_tags", json_list(&reel.user_tags))
                    .param_opt(
                        "location_id",
                        reel.location_id.as_ref().map(PageId::to_string),
                    )
                    .param_opt(
                        "thumb_offset",
                        reel.thumb_offset_ms.map(|ms| ms.to_string()),
                    )
                    .param_opt("trial_params", trial))
            }
            ContainerSpec::Story(story) => {
                check_user_tags(&story.user_tags, false)?;
                let request = request.param("media_type", "STORIES");
                let request = match &story.media {
                    StoryMedia::Image(url) => request.param("image_url", url.as_str()),
                    StoryMedia::Video(url) => request.param("video_url", url.as_str()),
                };
                Ok(request.param_opt("user_tags", json_list(&story.user_tags)))
            }
        }
    }
}

/// `POST /{ig-user-id}/media_publish?creation_id={container-id}` (§2.7).
pub fn publish_request(ig_user_id: &IgUserId, container_id: &ContainerId) -> GraphRequest {
    GraphRequest::post(&[ig_user_id.as_str(), "media_publish"])
        .param("creation_id", container_id.as_str())
}

/// The name of the publish sub-request in [`AuthedClient::publish_and_fetch`]'s batch.
const PUBLISH_STEP: &str = "publish";

/// The two sub-requests of publish-and-fetch (§9.1): `media_publish` named `name`, then the new
/// media's fields read through `{result=name:$.id}`, run only if the publish succeeded. They
/// may share a batch with other calls as long as `name` is unique in it.
pub fn publish_and_fetch_requests(
    ig_user_id: &IgUserId,
    container_id: &ContainerId,
    name: &str,
) -> [BatchRequest; 2] {
    let publish = BatchRequest::new(publish_request(ig_user_id, container_id))
        .name(name)
        .omit_response_on_success(false);
    let fetch = BatchRequest::new(
        GraphRequest::new(Method::Get, format!("{{result={name}:$.id}}"))
            .param("fields", MEDIA_FIELDS),
    )
    .depends_on(name);
    [publish, fetch]
}

/// Reads the answers to [`publish_and_fetch_requests`]. A publish that got no answer is an
/// error for which [`GraphError::is_ambiguous`] holds (it may have published); a failed read
/// after a publish that worked is only logged: the post is published either way.
pub fn published_media(
    publish: Option<BatchResponse>,
    fetch: Option<BatchResponse>,
    name: &str,
) -> Result<PublishedMedia, GraphError> {
    let published = publish.ok_or_else(|| GraphError::BatchItemMissing {
        index: 0,
        name: Some(name.to_owned()),
    })?;
    let media_id = published.decode::<IdOnly<MediaId>>()?.id;
    let media = match fetch.map(|answer| answer.decode::<Media>()) {
        Some(Ok(media)) => Some(media),
        Some(Err(error)) => {
            tracing::warn!(%media_id, %error, "published, but reading the media failed");
            None
        }
        None => {
            tracing::warn!(%media_id, "published, but the media read got no answer");
            None
        }
    };
    Ok(PublishedMedia { media_id, media })
}

/// The new container's id from the answer to a creation sent as sub-request `index` of a batch.
pub fn created_container(
    answer: Option<BatchResponse>,
    index: usize,
) -> Result<ContainerId, GraphError> {
    let answer = answer.ok_or(GraphError::BatchItemMissing { index, name: None })?;
    Ok(answer.decode::<IdOnly<ContainerId>>()?.id)
}

fn expiry(created_at: Timestamp) -> Timestamp {
    created_at
        .checked_add(CONTAINER_LIFETIME)
        .unwrap_or(Timestamp::MAX)
}

impl AuthedClient {
    fn poll_policy(&self, has_video: bool) -> &PollPolicy {
        if has_video {
            &self.core.video_poll
        } else {
            &self.core.image_poll
        }
    }

    /// Creates one container (step 1 of §2.1) and returns its id.
    pub async fn create_container(
        &self,
        ig_user_id: &IgUserId,
        spec: &ContainerSpec,
    ) -> Result<ContainerId, GraphError> {
        let created: IdOnly<ContainerId> = self.send_json(&spec.to_request(ig_user_id)?).await?;
        Ok(created.id)
    }

    /// Publishes a FINISHED container (step 4 of §2.1) and returns the new media id. Not
    /// idempotent: on an error where [`GraphError::is_ambiguous`] holds, read the container
    /// before trying again.
    pub async fn publish_container(
        &self,
        ig_user_id: &IgUserId,
        container_id: &ContainerId,
    ) -> Result<MediaId, GraphError> {
        let published: IdOnly<MediaId> = self
            .send_json(&publish_request(ig_user_id, container_id))
            .await?;
        Ok(published.id)
    }

    /// Publishes and reads the new media's fields in ONE batch round trip: `media_publish`, then
    /// `GET {result=publish:$.id}?fields=…` depending on it (§9.1). The read is best effort.
    pub async fn publish_and_fetch(
        &self,
        ig_user_id: &IgUserId,
        container_id: &ContainerId,
    ) -> Result<PublishedMedia, GraphError> {
        let [publish, fetch] = publish_and_fetch_requests(ig_user_id, container_id, PUBLISH_STEP);
        let mut answers = self.batch(vec![publish, fetch]).await?.into_iter();
        published_media(
            answers.next().flatten(),
            answers.next().flatten(),
            PUBLISH_STEP,
        )
    }

    /// Creates an image container without publishing it.
    pub async fn draft_image(
        &self,
        ig_user_id: &IgUserId,
        post: &ImagePost,
    ) -> Result<Draft, GraphError> {
        let created_at = Timestamp::now();
        let container_id = self
            .create_container(ig_user_id, &ContainerSpec::Image(post.clone()))
            .await?;
        Ok(Draft {
            kind: PostKind::Image,
            container_id,
            children: Vec::new(),
            created_at,
            expires_at: expiry(created_at),
            has_video: false,
        })
    }

    /// Creates the children (concurrently, at most [`CAROUSEL_CHILD_CONCURRENCY`] at once, in
    /// order), waits until they are FINISHED, then creates the parent; publishes nothing.
    pub async fn draft_carousel(
        &self,
        ig_user_id: &IgUserId,
        post: &CarouselPost,
    ) -> Result<Draft, GraphError> {
        check_carousel_size(post.items.len(), "items")?;
        check_caption(post.caption.as_ref())?;
        check_collaborators(&post.collaborators)?;
        for item in &post.items {
            // Check every child before creating any, so bad input creates nothing.
            ContainerSpec::CarouselItem(item.clone()).to_request(ig_user_id)?;
        }
        let has_video = post.items.iter().any(CarouselItem::is_video);
        let created_at = Timestamp::now();
        let children: Vec<ContainerId> = futures::stream::iter(post.items.iter().cloned())
            .map(|item| async move {
                self.create_container(ig_user_id, &ContainerSpec::CarouselItem(item))
                    .await
            })
            .buffered(CAROUSEL_CHILD_CONCURRENCY)
            .try_collect()
            .await?;
        // Children must be FINISHED before the parent can use them (§2.4).
        self.wait_for_containers(&children, self.poll_policy(has_video))
            .await?;
        let parent = ContainerSpec::Carousel(CarouselContainer {
            children: children.clone(),
            caption: post.caption.clone(),
            location_id: post.location_id.clone(),
            collaborators: post.collaborators.clone(),
        });
        let container_id = self.create_container(ig_user_id, &parent).await?;
        Ok(Draft {
            kind: PostKind::Carousel,
            container_id,
            children,
            created_at,
            expires_at: expiry(created_at),
            has_video,
        })
    }

    /// Creates a reel container without publishing it.
    pub async fn draft_reel(
        &self,
        ig_user_id: &IgUserId,
        post: &ReelPost,
    ) -> Result<Draft, GraphError> {
        let created_at = Timestamp::now();
        let container_id = self
            .create_container(ig_user_id, &ContainerSpec::Reel(post.clone()))
            .await?;
        Ok(Draft {
            kind: PostKind::Reel,
            container_id,
            children: Vec::new(),
            created_at,
            expires_at: expiry(created_at),
            has_video: true,
        })
    }

    /// Creates a story container without publishing it.
    pub async fn draft_story(
        &self,
        ig_user_id: &IgUserId,
        post: &StoryPost,
    ) -> Result<Draft, GraphError> {
        let created_at = Timestamp::now();
        let container_id = self
            .create_container(ig_user_id, &ContainerSpec::Story(post.clone()))
            .await?;
        let has_video = matches!(post.media, StoryMedia::Video(_));
        Ok(Draft {
            kind: PostKind::Story,
            container_id,
            children: Vec::new(),
            created_at,
            expires_at: expiry(created_at),
            has_video,
        })
    }

    /// Waits for a draft's container and publishes it, unless it is already PUBLISHED.
    pub async fn publish_draft(
        &self,
        ig_user_id: &IgUserId,
        draft: &Draft,
    ) -> Result<PublishOutcome, GraphError> {
        match self
            .wait_for_container(&draft.container_id, self.poll_policy(draft.has_video))
            .await?
        {
            ContainerReady::AlreadyPublished(_) => Ok(PublishOutcome::AlreadyPublished {
                container_id: draft.container_id.clone(),
            }),
            ContainerReady::Finished(_) => {
                let published = self
                    .publish_and_fetch(ig_user_id, &draft.container_id)
                    .await?;
                Ok(PublishOutcome::Published(Box::new(PublishedPost {
                    kind: draft.kind,
                    container_id: draft.container_id.clone(),
                    children: draft.children.clone(),
                    media_id: published.media_id,
                    media: published.media,
                })))
            }
        }
    }

    async fn publish_fresh(
        &self,
        ig_user_id: &IgUserId,
        draft: Draft,
    ) -> Result<PublishedPost, GraphError> {
        match self.publish_draft(ig_user_id, &draft).await? {
            PublishOutcome::Published(post) => Ok(*post),
            // A container this call just created cannot have been published by anyone else.
            PublishOutcome::AlreadyPublished { container_id } => {
                Err(GraphError::UnexpectedResponse {
                    endpoint: format!("GET {container_id}"),
                    what: "a container created moments ago reads as PUBLISHED".into(),
                })
            }
        }
    }

    /// Creates the image container, waits until FINISHED, publishes and reads the permalink:
    /// three round trips for an image that is ready at the first poll.
    pub async fn publish_image(
        &self,
        ig_user_id: &IgUserId,
        post: &ImagePost,
    ) -> Result<PublishedPost, GraphError> {
        let draft = self.draft_image(ig_user_id, post).await?;
        self.publish_fresh(ig_user_id, draft).await
    }

    /// Creates the children concurrently (order kept), waits, creates the parent, waits and publishes.
    pub async fn publish_carousel(
        &self,
        ig_user_id: &IgUserId,
        post: &CarouselPost,
    ) -> Result<PublishedPost, GraphError> {
        let draft = self.draft_carousel(ig_user_id, post).await?;
        self.publish_fresh(ig_user_id, draft).await
    }

    /// Creates the reel container, waits (video policy), publishes.
    pub async fn publish_reel(
        &self,
        ig_user_id: &IgUserId,
        post: &ReelPost,
    ) -> Result<PublishedPost, GraphError> {
        let draft = self.draft_reel(ig_user_id, post).await?;
        self.publish_fresh(ig_user_id, draft).await
    }

    /// Creates the story container, waits, publishes.
    pub async fn publish_story(
        &self,
        ig_user_id: &IgUserId,
        post: &StoryPost,
    ) -> Result<PublishedPost, GraphError> {
        let draft = self.draft_story(ig_user_id, post).await?;
        self.publish_fresh(ig_user_id, draft).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|_| panic!("test URL {text} must parse"))
    }

    fn ig() -> IgUserId {
        IgUserId::new("17841400008460056")
    }

    fn rule_of(result: Result<GraphRequest, GraphError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn image_container_sends_lists_as_json() {
        let post = ImagePost {
            caption: Some("#BronzedFonzes!".into()),
            collaborators: vec!["username1".into(), "username2".into()],
            user_tags: vec![
                UserTag::at("kevinhart4real", 0.5, 0.8),
                UserTag::at("therock", 0.3, 0.2),
            ],
            ..ImagePost::new(url("https://www.example.com/images/bronzed-fonzes.jpg"))
        };
        let request = ContainerSpec::Image(post).to_request(&ig());
        let Ok(request) = request else {
            panic!("{request:?}")
        };
        assert_eq!(request.path, "17841400008460056/media");
        assert_eq!(
            request.param_value("image_url"),
            Some("https://www.example.com/images/bronzed-fonzes.jpg")
        );
        assert_eq!(
            request.param_value("collaborators"),
            Some(r#"["username1","username2"]"#)
        );
        assert_eq!(
            request.param_value("user_tags"),
            Some(
                r#"[{"username":"kevinhart4real","x":0.5,"y":0.8},{"username":"therock","x":0.3,"y":0.2}]"#
            )
        );
        assert_eq!(request.param_value("media_type"), None);
    }

    #[test]
    fn carousel_parent_lists_children_comma_separated() {
        let parent = CarouselContainer {
            children: vec![ContainerId::new("1"), ContainerId::new("2")],
            caption: Some("c".into()),
            location_id: Some(PageId::new("7")),
            collaborators: vec![],
        };
        let request = ContainerSpec::Carousel(parent).to_request(&ig());
        let Ok(request) = request else {
            panic!("{request:?}")
        };
        assert_eq!(request.param_value("media_type"), Some("CAROUSEL"));
        assert_eq!(request.param_value("children"), Some("1,2"));
        assert_eq!(request.param_value("location_id"), Some("7"));
    }

    #[test]
    fn carousel_children_carry_no_caption_and_videos_are_carousel_items() {
        let video = ContainerSpec::CarouselItem(CarouselItem::video(url("https://e.x/v.mp4")))
            .to_request(&ig());
        let Ok(video) = video else {
            panic!("{video:?}")
        };
        assert_eq!(video.param_value("media_type"), Some("VIDEO"));
        assert_eq!(video.param_value("is_carousel_item"), Some("true"));
        assert_eq!(video.param_value("caption"), None);
        let image = ContainerSpec::CarouselItem(CarouselItem::image(url("https://e.x/a.jpg")))
            .to_request(&ig());
        assert_eq!(
            image
                .ok()
                .and_then(|r| r.param_value("is_carousel_item").map(str::to_owned))
                .as_deref(),
            Some("true")
        );
    }

    #[test]
    fn reels_are_sent_as_reels_never_as_video() {
        let reel = ReelPost {
            caption: Some("hi".into()),
            cover_url: Some(url("https://e.x/cover.jpg")),
            thumb_offset_ms: Some(1500),
            share_to_feed: Some(true),
            audio_name: Some("Original".into()),
            trial_params: Some(TrialParams {
                graduation_strategy: GraduationStrategy::SsPerformance,
            }),
            ..ReelPost::new(url("https://e.x/v.mp4"))
        };
        let request = ContainerSpec::Reel(reel).to_request(&ig());
        let Ok(request) = request else {
            panic!("{request:?}")
        };
        assert_eq!(request.param_value("media_type"), Some("REELS"));
        assert_eq!(request.param_value("thumb_offset"), Some("1500"));
        assert_eq!(request.param_value("share_to_feed"), Some("true"));
        assert_eq!(
            request.param_value("trial_params"),
            Some(r#"{"graduation_strategy":"SS_PERFORMANCE"}"#)
        );
    }

    #[test]
    fn stories_take_an_image_or_a_video_and_unplaced_tags() {
        let story = StoryPost {
            media: StoryMedia::Video(url("https://e.x/s.mp4")),
            user_tags: vec![UserTag::unplaced("friend")],
        };
        let request = ContainerSpec::Story(story).to_request(&ig());
        let Ok(request) = request else {
            panic!("{request:?}")
        };
        assert_eq!(request.param_value("media_type"), Some("STORIES"));
        assert_eq!(request.param_value("video_url"), Some("https://e.x/s.mp4"));
        assert_eq!(
            request.param_value("user_tags"),
            Some(r#"[{"username":"friend"}]"#)
        );
    }

    #[test]
    fn too_many_collaborators_are_refused_naming_the_field() {
        let post = ImagePost {
            collaborators: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        let rule = rule_of(ContainerSpec::Image(post).to_request(&ig()));
        assert!(
            rule.contains("collaborators") && rule.contains("at most 3"),
            "{rule}"
        );
    }

    #[test]
    fn image_tags_need_positions_inside_the_image() {
        let unplaced = ImagePost {
            user_tags: vec![UserTag::unplaced("x")],
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(
            rule_of(ContainerSpec::Image(unplaced).to_request(&ig())).contains("user_tags[0].x")
        );
        let outside = ImagePost {
            user_tags: vec![UserTag::at("x", 0.5, 1.5)],
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(
            rule_of(ContainerSpec::Image(outside).to_request(&ig())).contains("user_tags[0].y")
        );
        let nan = ImagePost {
            user_tags: vec![UserTag::at("x", f64::NAN, 0.5)],
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(rule_of(ContainerSpec::Image(nan).to_request(&ig())).contains("user_tags[0].x"));
    }

    #[test]
    fn long_captions_and_alt_texts_are_refused() {
        let post = ImagePost {
            caption: Some("a".repeat(2201)),
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(rule_of(ContainerSpec::Image(post).to_request(&ig())).contains("caption"));
        let post = ImagePost {
            alt_text: Some("a".repeat(1001)),
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(rule_of(ContainerSpec::Image(post).to_request(&ig())).contains("alt_text"));
        let fine = ImagePost {
            caption: Some("é".repeat(2200)),
            ..ImagePost::new(url("https://e.x/a.jpg"))
        };
        assert!(ContainerSpec::Image(fine).to_request(&ig()).is_ok());
    }

    #[test]
    fn carousel_parents_need_2_to_10_children() {
        let parent = |n: usize| {
            ContainerSpec::Carousel(CarouselContainer {
                children: (0..n).map(|i| ContainerId::new(i.to_string())).collect(),
                caption: None,
                location_id: None,
                collaborators: vec![],
            })
        };
        assert!(rule_of(parent(1).to_request(&ig())).contains("2 to 10"));
        assert!(parent(11).to_request(&ig()).is_err());
        assert!(parent(2).to_request(&ig()).is_ok());
        assert!(parent(10).to_request(&ig()).is_ok());
    }

    #[test]
    fn drafts_expire_a_day_after_creation() {
        let created = Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(expiry(created).as_second() - created.as_second(), 86_400);
        assert_eq!(expiry(Timestamp::MAX), Timestamp::MAX);
    }

    #[test]
    fn publish_names_the_container_as_creation_id() {
        let request = publish_request(&ig(), &ContainerId::new("17889455560051447"));
        assert_eq!(request.path, "17841400008460056/media_publish");
        assert_eq!(
            request.param_value("creation_id"),
            Some("17889455560051447")
        );
    }
}
