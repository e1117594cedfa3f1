//! Cursor paging (graph-api.md §3.1, §3.4).
//!
//! Meta's `paging.next` URLs carry the access token in their query, so the client never keeps or
//! follows them: it only notes that a next page exists and asks for it again with `after=<cursor>`.

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::client::AuthedClient;
use crate::error::GraphError;
use crate::request::GraphRequest;

/// One page of an edge: `{"data":[…],"paging":{…}}`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Where the next and previous pages are, if anywhere.
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// The `paging` block, without the token-bearing URLs.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Paging {
    /// `paging.cursors`.
    #[serde(default)]
    pub cursors: Option<Cursors>,
    /// True when Meta sent `paging.next`: there is a next page.
    #[serde(default, rename = "next", deserialize_with = "present")]
    pub has_next: bool,
    /// True when Meta sent `paging.previous`.
    #[serde(default, rename = "previous", deserialize_with = "present")]
    pub has_previous: bool,
}

/// `paging.cursors`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Cursors {
    /// Cursor of the first item of the page.
    #[serde(default)]
    pub before: Option<String>,
    /// Cursor of the last item of the page.
    #[serde(default)]
    pub after: Option<String>,
}

/// Reads a field only for whether it is there, dropping its value (a URL with a token in it).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<serde::de::IgnoredAny>::deserialize(deserializer)?.is_some())
}

impl<T> Page<T> {
    /// The cursor to ask for the next page with, if there is a next page.
    pub fn next_cursor(&self) -> Option<&str> {
        let paging = self.paging.as_ref()?;
        if !paging.has_next {
            return None;
        }
        paging.cursors.as_ref()?.after.as_deref()
    }
}

/// The items of an edge, page after page, following `after` cursors until Meta says there is no
/// next page. A page that repeats its cursor ends the stream instead of looping forever.
pub(crate) fn paged<T>(
    client: AuthedClient,
    first: GraphRequest,
) -> impl Stream<Item = Result<T, GraphError>> + Send
where
    T: DeserializeOwned + Send + 'static,
{
    struct State {
        client: AuthedClient,
        request: Option<GraphRequest>,
        last_cursor: Option<String>,
    }
    let state = State {
        client,
        request: Some(first),
        last_cursor: None,
    };
    stream::try_unfold(state, |mut state| async move {
        let Some(request) = state.request.take() else {
            return Ok(None);
        };
        let page: Page<T> = state.client.send_json(&request).await?;
        if let Some(cursor) = page.next_cursor()
            && state.last_cursor.as_deref() != Some(cursor)
        {
            let mut next = request.clone();
            next.params
                .retain(|(name, _)| name != "after" && name != "before");
            state.request = Some(next.param("after", cursor));
            state.last_cursor = Some(cursor.to_owned());
        }
        Ok(Some((page.data, state)))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_urls_are_reduced_to_a_flag_and_never_kept() {
        // Real shape, graph-api.md §3.4 ([PYFB] medias_p1.json).
        let body = r#"{"data":[{"id":"17895731045244887"}],
          "paging":{"cursors":{"before":"QVFIU1","after":"QVFIU2"},
          "next":"https://graph.facebook.com/v6.0/17841406338772941/media?access_token=EAAsecret&fields=id&limit=2&after=QVFIU2"}}"#;
        let page: Page<serde_json::Value> = serde_json::from_str(body).unwrap_or(Page {
            data: vec![],
            paging: None,
        });
        assert_eq!(page.next_cursor(), Some("QVFIU2"));
        let shown = format!("{page:?}");
        assert!(!shown.contains("EAAsecret"), "{shown}");
    }

    #[test]
    fn a_page_without_next_has_no_next_cursor() {
        let body = r#"{"data":[],"paging":{"cursors":{"before":"a","after":"b"}}}"#;
        let page: Page<serde_json::Value> = serde_json::from_str(body).unwrap_or(Page {
            data: vec![],
            paging: None,
        });
        assert!(page.paging.is_some());
        assert_eq!(page.next_cursor(), None);
    }
}
