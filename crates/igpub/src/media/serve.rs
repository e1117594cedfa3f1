//! Serving hosted media over HTTP: `GET`/`HEAD /media/{id}.{ext}` with the right
//! Content-Type and Content-Length, single-range requests (206), a strong ETag and
//! `Cache-Control: public, max-age=31536000, immutable` (content-addressed files never change).
//!
//! [`media_router`] is an axum `Router` to `.merge()` into the app; [`parse_range`] is the pure
//! range logic, usable by any server.
//!
//! Files on this machine's disk are streamed from here. A backend without local files (an S3
//! bucket) serves its objects itself, ranges and all: this route then answers a temporary
//! redirect to the object's bucket URL, which is also the URL Meta is given.

use std::io::SeekFrom;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::hosting::{HostedObject, MediaStorage, parse_file_name};

/// How long caches may keep a file: a year, since a content-addressed URL never changes.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// Bytes read from disk per body chunk.
const CHUNK: usize = 64 * 1024;

/// What a `Range` header asks of a file of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: send the whole file (also for multi-range requests, which RFC 9110
    /// lets a server answer in full).
    Full,
    /// Bytes `start..=end`.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// The range lies past the end: 416.
    Unsatisfiable,
}

/// Interpret a `Range` header (RFC 9110 §14.1.2) for a file of `size` bytes.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // Suffix range: the last N bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeRequest::Unsatisfiable,
            Ok(n) if size > 0 => RangeRequest::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
            Ok(_) => RangeRequest::Unsatisfiable,
            Err(_) => RangeRequest::Full,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end,
            _ => return RangeRequest::Full,
        }
    };
    if start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial {
        start,
        end: end.min(size - 1),
    }
}

/// A router serving `GET` and `HEAD` `/media/{id}.{ext}` from `storage`.
pub fn media_router(storage: Arc<dyn MediaStorage>) -> Router {
    Router::new()
        .route("/media/{file}", get(serve_media).head(serve_media))
        .with_state(storage)
}

async fn serve_media(
    State(storage): State<Arc<dyn MediaStorage>>,
    Path(file): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Ok((id, kind)) = parse_file_name(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (object, mut handle) = match storage.open_local_file(&id).await {
        Ok(Some(found)) if found.0.kind == kind => found,
        Ok(Some(_)) => return StatusCode::NOT_FOUND.into_response(),
        Ok(None) => return redirect_to_remote(storage.as_ref(), &id, kind).await,
        Err(error) => {
            tracing::error!(%error, "serving hosted media failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = object.etag();
    if if_none_match(&headers, &etag) {
        return with_common_headers(
            Response::builder().status(StatusCode::NOT_MODIFIED),
            &object,
        )
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        object.size,
    );
    let (status, start, len) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, object.size),
        RangeRequest::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            return with_common_headers(
                Response::builder().status(StatusCode::RANGE_NOT_SATISFIABLE),
                &object,
            )
            .header(header::CONTENT_RANGE, format!("bytes */{}", object.size))
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let mut builder = with_common_headers(Response::builder().status(status), &object)
        .header(header::CONTENT_TYPE, object.kind.content_type())
        .header(header::CONTENT_LENGTH, len);
    if status == StatusCode::PARTIAL_CONTENT {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", start + len - 1, object.size),
        );
    }
    let body = if method == Method::HEAD || len == 0 {
        Body::empty()
    } else {
        if let Err(error) = handle.seek(SeekFrom::Start(start)).await {
            tracing::error!(%error, "seeking in hosted media failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Body::from_stream(file_chunks(handle.take(len)))
    };
    builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The answer for a file the backend keeps no local copy of: a temporary redirect to its
/// public URL when it exists (temporary, since the backend is a setting that may change), a
/// 404 when it does not.
async fn redirect_to_remote(
    storage: &dyn MediaStorage,
    id: &super::hosting::MediaId,
    kind: super::hosting::MediaKind,
) -> Response {
    let object = match storage.head(id).await {
        Ok(Some(object)) if object.kind == kind => object,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "looking up hosted media failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match storage.public_url(&object) {
        Ok(url) => Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header(header::LOCATION, url.as_str())
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(error) => {
            tracing::error!(%error, "hosted media has no public URL");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn with_common_headers(
    builder: axum::http::response::Builder,
    object: &HostedObject,
) -> axum::http::response::Builder {
    builder
        .header(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"))
        .header(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        )
        .header(header::ETAG, object.etag())
        .header(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

fn file_chunks(
    reader: tokio::io::Take<tokio::fs::File>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    futures::stream::try_unfold(reader, |mut reader| async move {
        let mut buffer = vec![0u8; CHUNK];
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.truncate(read);
        Ok(Some((Bytes::from(buffer), reader)))
    })
}

#[cfg(test)]
mod tests {
    use super::{RangeRequest, parse_range};

    #[test]
    fn ranges_are_parsed_as_rfc_9110_says() {
        use RangeRequest::*;
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(
            parse_range(Some("bytes=0-9"), 100),
            Partial { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-500"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-500"), 100),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Full);
        assert_eq!(parse_range(Some("items=0-3"), 100), Full);
        assert_eq!(parse_range(Some("bytes=abc"), 100), Full);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Unsatisfiable);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{RangeRequest, parse_range};

    proptest! {
        #[test]
        fn a_partial_range_always_lies_inside_the_file(header in "bytes=[0-9]{0,4}-[0-9]{0,4}", size in 0u64..5000) {
            if let RangeRequest::Partial { start, end } = parse_range(Some(&header), size) {
                prop_assert!(start <= end && end < size, "{header} of {size}: {start}-{end}");
            }
        }
    }
}
