//! Instagram's publishing limits, each with the place in `shared/graph-api.md` it comes from.
//!
//! Every check in [`crate::domain`] reads its number from here, so a limit Meta changes is
//! changed in one line.

/// Longest caption, in characters (Unicode scalar values, see [`crate::domain::Caption`]).
// graph-api.md §2.2 (`caption`: "Max 2200 chars")
pub const CAPTION_MAX_CHARS: usize = 2_200;

/// Most hashtags one caption may carry, counting the hashtags appended from a hashtag list.
// graph-api.md §2.2 (`caption`: "30 hashtags"); §6.3 36004/2207010
pub const CAPTION_MAX_HASHTAGS: usize = 30;

/// Most @mentions one caption may carry.
// graph-api.md §2.2 (`caption`: "20 @tags"); §6.3 36004/2207010
pub const CAPTION_MAX_MENTIONS: usize = 20;

/// Longest first comment, in characters; it is posted as a comment, which Instagram caps like a
/// caption.
// graph-api.md §2.2 (`caption` limit); a comment's cap is the same 2,200 characters [INFER]
pub const FIRST_COMMENT_MAX_CHARS: usize = 2_200;

/// Fewest items a carousel may hold.
// graph-api.md §2.4 ("Carousels: 2–10 children", 100/2207028)
pub const CAROUSEL_MIN_ITEMS: usize = 2;

/// Most items a carousel may hold through the API (the app allows 20, the API still 10).
// graph-api.md §2.4 and §2.2 (`children`: "up to 10"); §12
pub const CAROUSEL_MAX_ITEMS: usize = 10;

/// Items in an image post, a reel and a story.
// graph-api.md §2.2 (`image_url` / `video_url`: one per container)
pub const SINGLE_MEDIA_ITEMS: usize = 1;

/// Longest alt text, in characters.
// graph-api.md §2.2 (`alt_text`: "Up to 1000 characters")
pub const ALT_TEXT_MAX_CHARS: usize = 1_000;

/// Most collaborators on one post.
// graph-api.md §2.2 (`collaborators`: "List of up to 3 usernames")
pub const MAX_COLLABORATORS: usize = 3;

/// Longest Instagram username, in characters.
// Instagram's username rule (1–30 letters, digits, `.` and `_`); graph-api.md §2.2 takes usernames
// for `collaborators` and `user_tags`
pub const USERNAME_MAX_CHARS: usize = 30;

/// Smallest user-tag coordinate (left or top edge of the image).
// graph-api.md §2.2 (`user_tags`: "x, y floats 0.0–1.0")
pub const TAG_COORDINATE_MIN: f64 = 0.0;

/// Largest user-tag coordinate (right or bottom edge of the image).
// graph-api.md §2.2 (`user_tags`: "x, y floats 0.0–1.0")
pub const TAG_COORDINATE_MAX: f64 = 1.0;
