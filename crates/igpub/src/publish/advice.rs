//! Why a post failed, in Meta's words and ours: the sentence on what to do is looked up by
//! Meta's code and subcode (graph-api.md §6.2–§6.3).

use igpub_graph::{ContainerFailure, GraphError};

use crate::store::PostFailure;

/// Our sentence for a Meta code and subcode, most specific first.
pub fn advice_for(code: Option<i64>, subcode: Option<i64>) -> &'static str {
    match (code, subcode) {
        // graph-api.md §6.3
        (_, Some(2207005)) | (Some(36001), _) => {
            "convert the image to JPEG (Meta accepts no other image format)"
        }
        (_, Some(2207009)) | (Some(36003), _) => {
            "crop or pad the image to an aspect ratio between 4:5 and 1.91:1"
        }
        (_, Some(2207004)) | (Some(36000), _) => "make the image smaller than 8 MiB",
        (_, Some(2207010)) | (Some(36004), _) => {
            "shorten the caption to at most 2,200 characters, 30 hashtags and 20 mentions"
        }
        (_, Some(2207052)) | (Some(9004), _) => {
            "make the media URL publicly reachable without login or redirects, serving the file itself"
        }
        (_, Some(2207026)) | (Some(352), _) => {
            "re-encode the video as MP4 (H.264 or HEVC, AAC audio) following Meta's video spec"
        }
        (_, Some(2207050)) | (Some(25), _) => {
            "the Instagram account is restricted; the owner must resolve it in the Instagram app"
        }
        (_, Some(2207051)) => {
            "Instagram suspected spam and blocked the action; wait before posting again and vary the content"
        }
        (_, Some(2207057)) => "set thumb_offset_ms to a moment inside the video",
        (_, Some(2207028)) => "give the carousel 2 to 10 items",
        (_, Some(2207040)) => "tag at most 20 accounts in the caption",
        (_, Some(2207089)) => "publish a single video as a reel",
        (_, Some(2207081)) => "this account cannot post trial reels; remove trial_params",
        (Some(10), _) | (Some(200..=299), _) => {
            "reconnect the account and grant every permission asked for (instagram_content_publish, pages_read_engagement)"
        }
        (Some(190 | 102), _) => "reconnect the account: Meta no longer accepts its token",
        (Some(100), _) => "fix the post's content: Meta refused one of its parameters",
        (Some(3), _) => {
            "the Meta app lacks a capability; check the app's permissions in the Meta dashboard"
        }
        _ => {
            "try again later; if it keeps failing, check the post's media and the account in the Instagram app"
        }
    }
}

/// The failure record of a Graph error.
pub fn failure_of(error: &GraphError) -> PostFailure {
    let api = error.api();
    let code = error.code();
    let subcode = error.subcode();
    let message_text = api
        .map(|api| api.message.clone())
        .unwrap_or_else(|| error.to_string());
    // Page Publishing Authorization shows up only in Meta's words (graph-api.md §2.1).
    let mentions_ppa = api.is_some_and(|api| {
        let text = format!(
            "{} {}",
            api.message,
            api.error_user_msg.as_deref().unwrap_or_default()
        )
        .to_ascii_lowercase();
        text.contains("publishing authorization")
    });
    let advice = if mentions_ppa {
        "the Page requires publishing authorization: an admin must complete it on Facebook"
    } else {
        advice_for(code, subcode)
    };
    PostFailure {
        code,
        subcode,
        user_title: api.and_then(|api| api.error_user_title.clone()),
        user_message: api.and_then(|api| api.error_user_msg.clone()),
        message: message_text,
        advice: advice.to_owned(),
    }
}

/// A failure of our own making (no Meta error), e.g. the retry limit.
pub fn our_failure(message: impl Into<String>, advice: impl Into<String>) -> PostFailure {
    PostFailure {
        code: None,
        subcode: None,
        user_title: None,
        user_message: None,
        message: message.into(),
        advice: advice.into(),
    }
}

/// The failure of a container that ended in ERROR, with the subcode from its status text.
pub fn container_failure(failure: &ContainerFailure) -> PostFailure {
    let subcode = match failure {
        ContainerFailure::Error { subcode, .. } => *subcode,
        _ => None,
    };
    PostFailure {
        code: None,
        subcode,
        user_title: None,
        user_message: None,
        message: failure.to_string(),
        advice: advice_for(None, subcode).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_format_and_ratio_errors_say_what_to_do() {
        assert!(advice_for(Some(36001), Some(2207005)).contains("JPEG"));
        assert!(advice_for(Some(36003), Some(2207009)).contains("4:5 and 1.91:1"));
        assert!(advice_for(Some(9004), Some(2207052)).contains("publicly reachable"));
        assert!(advice_for(Some(25), Some(2207050)).contains("restricted"));
        assert!(advice_for(Some(200), None).contains("reconnect"));
        assert!(advice_for(Some(10), None).contains("grant"));
    }

    #[test]
    fn unknown_codes_still_get_a_sentence() {
        assert!(!advice_for(Some(987_654), None).is_empty());
        assert!(!advice_for(None, None).is_empty());
    }
}
