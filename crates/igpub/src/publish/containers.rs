//! What to ask Meta for: the container specs of a post (graph-api.md §2.2, §2.4).

use igpub_graph::{
    CarouselContainer, CarouselItem, ContainerId, ContainerSpec, GraduationStrategy, ImagePost,
    PageId, ReelPost, StoryMedia, StoryPost, TrialParams, UserTag,
};

use crate::domain::{self, MediaItem, MediaKind, PostKind, PostSpec};

/// Whether any item of the post is a video (it then takes longer to process).
pub fn has_video(spec: &PostSpec) -> bool {
    spec.kind() == PostKind::Reel
        || spec
            .media()
            .iter()
            .any(|item| item.kind() == MediaKind::Video)
}

fn tags(item: &MediaItem) -> Vec<UserTag> {
    item.user_tags()
        .iter()
        .map(|tag| match tag.position() {
            Some(at) => UserTag::at(tag.username().as_str(), at.x(), at.y()),
            None => UserTag::unplaced(tag.username().as_str()),
        })
        .collect()
}

fn collaborators(spec: &PostSpec) -> Vec<String> {
    spec.collaborators()
        .usernames()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn location(spec: &PostSpec) -> Option<PageId> {
    spec.location().map(|id| PageId::new(id.as_str()))
}

fn caption(spec: &PostSpec) -> Option<String> {
    spec.caption_text().map(str::to_owned)
}

/// The carousel child container of `item`.
pub fn carousel_child(item: &MediaItem) -> ContainerSpec {
    let url = item.url().as_url().clone();
    ContainerSpec::CarouselItem(match item.kind() {
        MediaKind::Image => CarouselItem::Image {
            image_url: url,
            alt_text: item.alt_text().map(|text| text.as_str().to_owned()),
            user_tags: tags(item),
        },
        MediaKind::Video => CarouselItem::Video { video_url: url },
    })
}

/// The carousel parent over its children.
pub fn carousel_parent(spec: &PostSpec, children: Vec<ContainerId>) -> ContainerSpec {
    ContainerSpec::Carousel(CarouselContainer {
        children,
        caption: caption(spec),
        location_id: location(spec),
        collaborators: collaborators(spec),
    })
}

fn graduation(strategy: domain::GraduationStrategy) -> GraduationStrategy {
    match strategy {
        domain::GraduationStrategy::Manual => GraduationStrategy::Manual,
        domain::GraduationStrategy::SsPerformance => GraduationStrategy::SsPerformance,
    }
}

/// The one container of an image post, a reel or a story; `None` for a carousel (it has
/// children and a parent) or a post without media (which parsing never lets through).
pub fn single(spec: &PostSpec) -> Option<ContainerSpec> {
    let item = spec.media().first()?;
    let url = item.url().as_url().clone();
    match spec.kind() {
        PostKind::Carousel => None,
        PostKind::Image => Some(ContainerSpec::Image(ImagePost {
            caption: caption(spec),
            alt_text: item.alt_text().map(|text| text.as_str().to_owned()),
            user_tags: tags(item),
            location_id: location(spec),
            collaborators: collaborators(spec),
            ..ImagePost::new(url)
        })),
        PostKind::Reel => {
            let reel = spec.reel();
            Some(ContainerSpec::Reel(ReelPost {
                caption: caption(spec),
                cover_url: reel.and_then(|r| r.cover_url()).map(|u| u.as_url().clone()),
                thumb_offset_ms: reel
                    .and_then(|r| r.thumb_offset())
                    .map(|offset| offset.as_millis()),
                share_to_feed: reel.and_then(|r| r.share_to_feed()),
                audio_name: reel
                    .and_then(|r| r.audio_name())
                    .map(|name| name.as_str().to_owned()),
                collaborators: collaborators(spec),
                location_id: location(spec),
                user_tags: tags(item),
                trial_params: reel
                    .and_then(|r| r.trial_params())
                    .map(|trial| TrialParams {
                        graduation_strategy: graduation(trial.graduation_strategy),
                    }),
                ..ReelPost::new(url)
            }))
        }
        PostKind::Story => Some(ContainerSpec::Story(StoryPost {
            media: match item.kind() {
                MediaKind::Image => StoryMedia::Image(url),
                MediaKind::Video => StoryMedia::Video(url),
            },
            user_tags: tags(item),
        })),
    }
}
