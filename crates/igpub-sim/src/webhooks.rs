//! Meta's webhook notifications for Instagram, built and signed as the simulator sends them
//! (graph-api.md §8.2).
//!
//! A notification is `{"object":"instagram","entry":[{"id","time","changes":[{"field","value"}]}]}`.
//! The body is written the way Meta writes it, every non-ASCII character escaped as `\uXXXX` with
//! lowercase hex, and the signature covers exactly those bytes. A receiver that re-serialises the
//! parsed JSON before checking the signature fails, as it would against Meta.

use std::io;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;

/// The header that carries the signature (graph-api.md §8.2).
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// `sha256=<lowercase hex HMAC-SHA256(app_secret, body)>`, the value of `X-Hub-Signature-256`.
pub fn signature_header(app_secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails. Were it to, the empty value would
    // fail closed at the receiver rather than panic here.
    let digest = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .map(|mac| hex::encode(mac.chain_update(body).finalize().into_bytes()))
        .unwrap_or_default();
    format!("sha256={digest}")
}

/// The bytes the simulator sends for `payload`: compact JSON with non-ASCII characters escaped
/// as `\uXXXX` in lowercase hex, as Meta sends them (graph-api.md §8.2).
pub fn encode_payload(payload: &Value) -> Vec<u8> {
    let mut body = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut body, EscapedUnicode);
    // Writing a `Value` to memory cannot fail: its keys are strings and its numbers finite.
    if payload.serialize(&mut serializer).is_err() {
        body.clear();
    }
    body
}

/// A comment on a media, as the `comments` field of a notification describes it.
#[derive(Debug, Clone, Copy)]
pub struct CommentChange<'a> {
    /// The IG user who owns the media; the notification's `entry[].id`.
    pub ig_user_id: &'a str,
    /// The commented media.
    pub media_id: &'a str,
    /// The media's `media_product_type`: `FEED` or `REELS`.
    pub media_product_type: &'a str,
    /// The new comment's id.
    pub comment_id: &'a str,
    /// The comment this one replies to, if it is a reply.
    pub parent_id: Option<&'a str>,
    /// The comment's text.
    pub text: &'a str,
    /// The commenter's IG-scoped id.
    pub from_id: &'a str,
    /// The commenter's username.
    pub from_username: &'a str,
    /// When the comment was made, Unix seconds; the notification's `entry[].time`.
    pub time_unix: i64,
}

/// A `comments` notification for a top-level comment on a feed media.
/// [`comment_change_event`] covers reels and replies.
pub fn comment_event(
    ig_user_id: &str,
    media_id: &str,
    comment_id: &str,
    text: &str,
    from_id: &str,
    from_username: &str,
    time_unix: i64,
) -> Value {
    comment_change_event(&CommentChange {
        ig_user_id,
        media_id,
        media_product_type: "FEED",
        comment_id,
        parent_id: None,
        text,
        from_id,
        from_username,
        time_unix,
    })
}

/// A `comments` notification (graph-api.md §8.2).
pub fn comment_change_event(comment: &CommentChange<'_>) -> Value {
    let mut value = json!({
        "from": { "id": comment.from_id, "username": comment.from_username },
        "media": { "id": comment.media_id, "media_product_type": comment.media_product_type },
        "id": comment.comment_id,
        "text": comment.text,
    });
    if let (Some(parent_id), Some(object)) = (comment.parent_id, value.as_object_mut()) {
        object.insert("parent_id".into(), json!(parent_id));
    }
    notification(comment.ig_user_id, comment.time_unix, "comments", value)
}

/// A `mentions` notification: a mention in a caption, or in a comment when `comment_id` is given
/// (graph-api.md §8.2).
pub fn mention_event(
    ig_user_id: &str,
    media_id: &str,
    comment_id: Option<&str>,
    time_unix: i64,
) -> Value {
    let value = match comment_id {
        Some(comment_id) => json!({ "comment_id": comment_id, "media_id": media_id }),
        None => json!({ "media_id": media_id }),
    };
    notification(ig_user_id, time_unix, "mentions", value)
}

/// A `story_insights` notification, sent when a story expires. It keeps the legacy names
/// (graph-api.md §8.2): `impressions` is the story's views, `taps_forward`, `taps_back` and
/// `exits` are its `navigation` buckets, all as the insights endpoint serves them.
pub fn story_insights_event(ig_user_id: &str, media_id: &str, seed: u64, time_unix: i64) -> Value {
    let metric = |name: &str| crate::insights::media_metric_value(seed, media_id, name);
    let navigation = crate::insights::media_breakdown_values(seed, media_id, "navigation");
    let bucket = |label: &str| {
        navigation
            .iter()
            .find(|(name, _)| *name == label)
            .map_or(0, |(_, count)| *count)
    };
    let value = json!({
        "media_id": media_id,
        "impressions": metric("views"),
        "reach": metric("reach"),
        "taps_forward": bucket("tap_forward"),
        "taps_back": bucket("tap_back"),
        "exits": bucket("tap_exit"),
        "replies": metric("replies"),
    });
    notification(ig_user_id, time_unix, "story_insights", value)
}

/// Several notifications as one delivery, their entries in order: Meta batches up to 1000
/// updates per POST (graph-api.md §8.2). Anything but an `entry` array is skipped.
pub fn batched(notifications: &[Value]) -> Value {
    let entries: Vec<Value> = notifications
        .iter()
        .filter_map(|notification| notification.get("entry").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect();
    json!({ "object": "instagram", "entry": entries })
}

/// POSTs `payload` to `callback_url`, signed with `app_secret`, and returns the HTTP status.
///
/// One attempt: Meta's retries ("immediately and then a few more times … over the next
/// 36 hours", graph-api.md §8.2) are the caller's to schedule.
pub async fn deliver(
    http: &reqwest::Client,
    callback_url: &str,
    app_secret: &str,
    payload: &Value,
) -> Result<u16, reqwest::Error> {
    let body = encode_payload(payload);
    let signature = signature_header(app_secret, &body);
    let response = http
        .post(callback_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await?;
    Ok(response.status().as_u16())
}

fn notification(ig_user_id: &str, time_unix: i64, field: &str, value: Value) -> Value {
    json!({
        "object": "instagram",
        "entry": [{
            "id": ig_user_id,
            "time": time_unix,
            "changes": [{ "field": field, "value": value }],
        }],
    })
}

/// Compact JSON that escapes every non-ASCII character as `\uXXXX` (UTF-16, lowercase hex).
struct EscapedUnicode;

impl serde_json::ser::Formatter for EscapedUnicode {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut utf16 = [0u16; 2];
        for character in fragment.chars() {
            if character.is_ascii() {
                writer.write_all(&[character as u8])?;
            } else {
                for unit in character.encode_utf16(&mut utf16) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, routing::post};
    use sha2::Digest;
    use tokio::sync::Mutex;

    use super::*;

    /// HMAC-SHA256 written out from RFC 2104 on top of sha2, to check the hmac crate's answer
    /// with an independent computation.
    fn rfc2104_hmac_sha256(key: &[u8], message: &[u8]) -> String {
        const BLOCK: usize = 64;
        let mut block_key = if key.len() > BLOCK {
            Sha256::digest(key).to_vec()
        } else {
            key.to_vec()
        };
        block_key.resize(BLOCK, 0);
        let inner_pad: Vec<u8> = block_key.iter().map(|byte| byte ^ 0x36).collect();
        let outer_pad: Vec<u8> = block_key.iter().map(|byte| byte ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&inner_pad)
            .chain_update(message)
            .finalize();
        let outer = Sha256::new()
            .chain_update(&outer_pad)
            .chain_update(inner)
            .finalize();
        hex::encode(outer)
    }

    #[test]
    fn signature_matches_the_rfc_4231_test_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature_header("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_matches_an_independent_hmac_for_short_and_long_secrets() {
        let body = encode_payload(&comment_event(
            "17841405822304914",
            "1",
            "2",
            "héllo",
            "3",
            "test",
            1_520_383_571,
        ));
        for secret in ["s", "an-app-secret-0123456789abcdef", &"k".repeat(200)] {
            let expected = format!("sha256={}", rfc2104_hmac_sha256(secret.as_bytes(), &body));
            assert_eq!(
                signature_header(secret, &body),
                expected,
                "secret of {} bytes",
                secret.len()
            );
        }
    }

    #[test]
    fn signature_changes_when_one_byte_of_the_body_changes() {
        let body = b"{\"object\":\"instagram\"}".to_vec();
        let mut altered = body.clone();
        if let Some(last) = altered.last_mut() {
            *last = b' ';
        }
        assert_ne!(
            signature_header("secret", &body),
            signature_header("secret", &altered)
        );
        assert_ne!(
            signature_header("secret", &body),
            signature_header("other", &body)
        );
    }

    #[test]
    fn signature_is_sha256_prefixed_lowercase_hex() {
        let header = signature_header("secret", b"{}");
        let hex_part = header.strip_prefix("sha256=").unwrap_or_default();
        assert_eq!(hex_part.len(), 64);
        assert!(
            hex_part
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }

    #[test]
    fn payload_escapes_non_ascii_as_lowercase_utf16_and_parses_back_unchanged() {
        let payload = comment_event("1", "2", "3", "Olé 😀 ÿ", "4", "zoë", 5);
        let body = encode_payload(&payload);
        let text = String::from_utf8(body.clone()).unwrap_or_default();
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains(r"Ol\u00e9 \ud83d\ude00 \u00ff"), "{text}");
        assert!(text.contains(r"zo\u00eb"), "{text}");
        let parsed: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(parsed, payload);
        // A receiver that re-serialises gets other bytes, hence another signature.
        let reserialised = serde_json::to_vec(&parsed).unwrap_or_default();
        assert_ne!(
            signature_header("s", &reserialised),
            signature_header("s", &body)
        );
    }

    #[test]
    fn payload_escapes_quotes_and_control_characters_as_json_requires() {
        let payload = json!({ "text": "a\"b\\c\nd\u{1}" });
        let body = encode_payload(&payload);
        assert_eq!(body, br#"{"text":"a\"b\\c\nd\u0001"}"#.to_vec());
    }

    #[test]
    fn comment_event_has_the_shape_of_the_spec_example() {
        let event = comment_event(
            "17841405822304914",
            "123123123",
            "17865799348089039",
            "This is an example.",
            "232323232",
            "test",
            1_520_383_571,
        );
        let expected = json!({
            "object": "instagram",
            "entry": [{
                "id": "17841405822304914",
                "time": 1_520_383_571,
                "changes": [{
                    "field": "comments",
                    "value": {
                        "from": { "id": "232323232", "username": "test" },
                        "media": { "id": "123123123", "media_product_type": "FEED" },
                        "id": "17865799348089039",
                        "text": "This is an example."
                    }
                }]
            }]
        });
        assert_eq!(event, expected);
    }

    #[test]
    fn a_reply_on_a_reel_carries_its_parent_and_product_type() {
        let event = comment_change_event(&CommentChange {
            ig_user_id: "1",
            media_id: "2",
            media_product_type: "REELS",
            comment_id: "3",
            parent_id: Some("1231231234"),
            text: "reply",
            from_id: "4",
            from_username: "u",
            time_unix: 6,
        });
        let value = &event["entry"][0]["changes"][0]["value"];
        assert_eq!(value["parent_id"], "1231231234");
        assert_eq!(value["media"]["media_product_type"], "REELS");
    }

    #[test]
    fn mention_events_have_the_caption_and_comment_shapes() {
        let caption = mention_event("17841405822304914", "17918195224117851", None, 10);
        assert_eq!(caption["object"], "instagram");
        assert_eq!(caption["entry"][0]["id"], "17841405822304914");
        assert_eq!(caption["entry"][0]["time"], 10);
        assert_eq!(caption["entry"][0]["changes"][0]["field"], "mentions");
        assert_eq!(
            caption["entry"][0]["changes"][0]["value"],
            json!({ "media_id": "17918195224117851" })
        );
        let comment = mention_event("1", "17918195224117851", Some("17894227972186120"), 10);
        assert_eq!(
            comment["entry"][0]["changes"][0]["value"],
            json!({ "comment_id": "17894227972186120", "media_id": "17918195224117851" })
        );
    }

    #[test]
    fn story_insights_use_the_legacy_names_and_the_served_values() {
        let seed = 42;
        let media_id = "17887498072083520";
        let event = story_insights_event("17841405822304914", media_id, seed, 1_700_000_000);
        let change = &event["entry"][0]["changes"][0];
        assert_eq!(change["field"], "story_insights");
        let value = &change["value"];
        let mut keys: Vec<&str> = value
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "exits",
                "impressions",
                "media_id",
                "reach",
                "replies",
                "taps_back",
                "taps_forward"
            ]
        );
        assert_eq!(value["media_id"], media_id);
        let served =
            |metric: &str| json!(crate::insights::media_metric_value(seed, media_id, metric));
        assert_eq!(value["impressions"], served("views"));
        assert_eq!(value["reach"], served("reach"));
        assert_eq!(value["replies"], served("replies"));
        let navigation = crate::insights::media_breakdown_values(seed, media_id, "navigation");
        let taps: i64 = ["taps_forward", "taps_back", "exits"]
            .iter()
            .filter_map(|k| value[*k].as_i64())
            .sum();
        let swipes = navigation
            .iter()
            .find(|(name, _)| *name == "swipe_forward")
            .map_or(0, |(_, n)| *n);
        assert_eq!(
            taps + swipes,
            crate::insights::media_metric_value(seed, media_id, "navigation")
        );
    }

    #[test]
    fn batched_keeps_every_entry_in_order() {
        let first = mention_event("1", "10", None, 1);
        let second = comment_event("2", "20", "21", "hi", "3", "u", 2);
        let batch = batched(&[
            first.clone(),
            second.clone(),
            json!({ "not": "a notification" }),
        ]);
        assert_eq!(batch["object"], "instagram");
        assert_eq!(
            batch["entry"],
            json!([first["entry"][0], second["entry"][0]])
        );
    }

    /// What the loopback receiver saw.
    #[derive(Default)]
    struct Received {
        signature: Option<String>,
        content_type: Option<String>,
        body: Vec<u8>,
    }

    async fn receiver(status: StatusCode) -> (String, Arc<Mutex<Received>>) {
        let seen = Arc::new(Mutex::new(Received::default()));
        let store = Arc::clone(&seen);
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let store = Arc::clone(&store);
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let mut seen = store.lock().await;
                    seen.signature = header("x-hub-signature-256");
                    seen.content_type = header("content-type");
                    seen.body = body.to_vec();
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
        let listener = match listener {
            Ok(listener) => listener,
            Err(error) => panic!("cannot bind a loopback port: {error}"),
        };
        let address = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{address}/hook"), seen)
    }

    #[tokio::test]
    async fn deliver_posts_the_signed_raw_bytes_and_returns_the_status() {
        let (url, seen) = receiver(StatusCode::OK).await;
        let payload = comment_event(
            "17841405822304914",
            "1",
            "2",
            "ça va? 👍",
            "3",
            "test",
            1_520_383_571,
        );
        let status = deliver(&reqwest::Client::new(), &url, "app-secret", &payload).await;
        assert_eq!(status.ok(), Some(200));
        let seen = seen.lock().await;
        assert_eq!(seen.body, encode_payload(&payload));
        let expected = format!("sha256={}", rfc2104_hmac_sha256(b"app-secret", &seen.body));
        assert_eq!(seen.signature.as_deref(), Some(expected.as_str()));
        assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    }

    #[tokio::test]
    async fn deliver_reports_a_failing_receiver_status() {
        let (url, _seen) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
        let status = deliver(
            &reqwest::Client::new(),
            &url,
            "s",
            &mention_event("1", "2", None, 3),
        )
        .await;
        assert_eq!(status.ok(), Some(500));
    }

    #[tokio::test]
    async fn deliver_fails_with_an_error_when_nobody_listens_or_the_url_is_bad() {
        let closed = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener.local_addr().map(|a| a.port()).unwrap_or(9),
            Err(error) => panic!("cannot bind a loopback port: {error}"),
        };
        let payload = mention_event("1", "2", None, 3);
        let http = reqwest::Client::new();
        assert!(
            deliver(
                &http,
                &format!("http://127.0.0.1:{closed}/hook"),
                "s",
                &payload
            )
            .await
            .is_err()
        );
        assert!(deliver(&http, "not a url", "s", &payload).await.is_err());
    }
}
