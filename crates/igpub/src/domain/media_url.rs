//! The URL Meta's crawler fetches a media file from.

use std::fmt;

use url::Url;

use super::hashtag::describe_char;
use super::violation::{Fault, Rule};

/// An absolute `http` or `https` URL with a host, written in US-ASCII only, without credentials.
///
/// Meta cURLs the file, "URLs that contain only US ASCII characters" are required and URLs that
/// need auth fail (graph-api.md §2.1, §10), so those rules are checked here. Whether the host
/// answers, is public, and serves the right type and size is the media pre-flight's job
/// (`crate::media`), which does I/O; this type does none.
///
/// Surrounding whitespace is trimmed; the URL is kept in the form the `url` crate normalises it
/// to (lower-case scheme and host, `/` path on a bare host), which is what is sent to Meta.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaUrl(Url);

/// Why a text is not a media URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaUrlError {
    /// A character outside US-ASCII.
    // graph-api.md §2.1 ("URLs that contain only US ASCII characters, or the request will fail")
    #[error(
        "the URL contains {found}, which is not US-ASCII; Meta fetches only URLs written in US-ASCII (percent-encode the character)"
    )]
    NonAscii {
        /// The first non-ASCII character, described.
        found: String,
    },
    /// Whitespace or a control character inside the URL.
    #[error("the URL contains {found}; percent-encode it")]
    InvalidCharacter {
        /// The offending character, described.
        found: String,
    },
    /// Not a URL at all. The text is not echoed: a URL may carry a signature or a key.
    #[error("this is not an absolute URL ({reason})")]
    Invalid {
        /// The URL parser's reason.
        reason: String,
    },
    /// A scheme Meta's crawler does not fetch.
    #[error("the URL's scheme is {scheme:?}; Meta fetches only http and https URLs")]
    UnsupportedScheme {
        /// The scheme given.
        scheme: String,
    },
    /// No host to fetch from.
    #[error("the URL has no host")]
    MissingHost,
    /// A user name or password in the URL.
    // graph-api.md §10 ("URLs that … require auth … fail"); credentials would also end up in logs
    #[error(
        "the URL carries a user name or password; Meta's crawler fetches public URLs only, so host the file without credentials"
    )]
    Credentials,
}

impl Fault for MediaUrlError {
    fn rule(&self) -> Rule {
        match self {
            MediaUrlError::NonAscii { .. } => Rule::NonAsciiUrl,
            MediaUrlError::InvalidCharacter { .. } | MediaUrlError::Invalid { .. } => {
                Rule::InvalidUrl
            }
            MediaUrlError::UnsupportedScheme { .. } => Rule::UnsupportedScheme,
            MediaUrlError::MissingHost => Rule::MissingHost,
            MediaUrlError::Credentials => Rule::UrlCredentials,
        }
    }
}

impl MediaUrl {
    /// Parses `text` into a media URL.
    pub fn parse(text: &str) -> Result<Self, MediaUrlError> {
        let text = text.trim();
        if let Some(bad) = text.chars().find(|c| !c.is_ascii()) {
            return Err(MediaUrlError::NonAscii {
                found: describe_char(bad),
            });
        }
        if let Some(bad) = text
            .chars()
            .find(|c| c.is_ascii_whitespace() || c.is_ascii_control())
        {
            return Err(MediaUrlError::InvalidCharacter {
                found: describe_char(bad),
            });
        }
        let url = Url::parse(text).map_err(|error| MediaUrlError::Invalid {
            reason: error.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(MediaUrlError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host().is_none() {
            return Err(MediaUrlError::MissingHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(MediaUrlError::Credentials);
        }
        Ok(Self(url))
    }

    /// The URL as sent to Meta.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL (host, path, …), for the media pre-flight.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The lower-cased extension of the URL's last path segment (`"jpg"`, `"mp4"`), if any.
    pub fn extension(&self) -> Option<String> {
        let last = self.0.path_segments()?.next_back()?;
        let (stem, extension) = last.rsplit_once('.')?;
        (!stem.is_empty() && !extension.is_empty()).then(|| extension.to_ascii_lowercase())
    }
}

impl fmt::Display for MediaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_url_with_a_host_is_accepted() {
        let url = MediaUrl::parse(" https://cdn.example.com/a/photo.JPG?v=2 ").unwrap();
        assert_eq!(url.as_str(), "https://cdn.example.com/a/photo.JPG?v=2");
        assert_eq!(url.extension().as_deref(), Some("jpg"));
    }

    #[test]
    fn a_url_with_non_ascii_characters_is_refused() {
        let error = MediaUrl::parse("https://example.com/café.jpg").unwrap_err();
        assert_eq!(error.rule(), Rule::NonAsciiUrl);
        let error = MediaUrl::parse("https://exämple.com/a.jpg").unwrap_err();
        assert_eq!(error.rule(), Rule::NonAsciiUrl);
    }

    #[test]
    fn a_url_with_a_space_inside_is_refused() {
        let error = MediaUrl::parse("https://example.com/a photo.jpg").unwrap_err();
        assert_eq!(error.rule(), Rule::InvalidUrl);
        assert!(error.to_string().contains("a space"), "{error}");
    }

    #[test]
    fn ftp_data_and_file_urls_are_refused() {
        for text in ["ftp://example.com/a.jpg", "data:image/jpeg;base64,AAAA"] {
            assert_eq!(
                MediaUrl::parse(text).unwrap_err().rule(),
                Rule::UnsupportedScheme,
                "{text}"
            );
        }
        assert_eq!(
            MediaUrl::parse("file:///tmp/a.jpg").unwrap_err().rule(),
            Rule::UnsupportedScheme
        );
    }

    #[test]
    fn a_relative_url_is_refused() {
        assert_eq!(
            MediaUrl::parse("/images/a.jpg").unwrap_err().rule(),
            Rule::InvalidUrl
        );
    }

    #[test]
    fn a_url_with_credentials_is_refused() {
        assert_eq!(
            MediaUrl::parse("https://user:secret@example.com/a.jpg")
                .unwrap_err()
                .rule(),
            Rule::UrlCredentials
        );
    }

    #[test]
    fn a_url_without_an_extension_has_none() {
        let url = MediaUrl::parse("https://example.com/media/123").unwrap();
        assert_eq!(url.extension(), None);
        let url = MediaUrl::parse("https://example.com/.hidden").unwrap();
        assert_eq!(url.extension(), None);
    }
}
