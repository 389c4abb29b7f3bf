//! The CDN's base URL, when the operator fixes it: a photo's `cdnUrl` must then be this base
//! followed by the photo's key, so a client cannot point a photo at another object.

use super::{CdnUrl, ObjectKey};

/// A base URL ending with `/`; a photo's URL is the base then its key, each byte of each
/// segment outside RFC 3986's unreserved set written `%XX` (uppercase hex), the `/` between
/// segments kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdnBaseUrl {
    /// `scheme://authority`, compared without regard to case.
    origin: String,
    /// The path from the authority's end, ending with `/`, compared exactly.
    path: String,
}

/// Why a text is not a CDN base URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCdnBaseUrl {
    /// Not a CDN URL at all.
    #[error("WORKORDER_CDN_BASE_URL is not an absolute http or https URL with a host: {0}")]
    NotAUrl(super::CdnUrlError),
    /// It does not end with `/`, or carries a query or fragment.
    #[error("WORKORDER_CDN_BASE_URL must end with / and carry no query or fragment")]
    NoTrailingSlash,
}

impl CdnBaseUrl {
    /// Parses a base: a valid CDN URL ending with `/`, without query or fragment.
    pub fn parse(raw: &str) -> Result<Self, InvalidCdnBaseUrl> {
        CdnUrl::parse(raw).map_err(InvalidCdnBaseUrl::NotAUrl)?;
        if !raw.ends_with('/') || raw.contains(['?', '#']) {
            return Err(InvalidCdnBaseUrl::NoTrailingSlash);
        }
        let (origin, path) = split_origin(raw);
        Ok(Self { origin: origin.to_owned(), path: path.to_owned() })
    }

    /// The URL the CDN serves `key` at.
    pub fn url_of(&self, key: &ObjectKey) -> String {
        let mut url = format!("{}{}", self.origin, self.path);
        for (i, segment) in key.as_str().split('/').enumerate() {
            if i > 0 {
                url.push('/');
            }
            for byte in segment.bytes() {
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                    url.push(char::from(byte));
                } else {
                    url.push_str(&format!("%{byte:02X}"));
                }
            }
        }
        url
    }

    /// Whether `url` is where the CDN serves `key`: scheme and host without regard to case,
    /// the rest exactly.
    pub fn serves(&self, key: &ObjectKey, url: &CdnUrl) -> bool {
        let expected = self.url_of(key);
        let (expected_origin, expected_rest) = split_origin(&expected);
        let (origin, rest) = split_origin(url.as_str());
        origin.eq_ignore_ascii_case(expected_origin) && rest == expected_rest
    }
}

/// `scheme://authority` and the rest, of a URL that [`CdnUrl::parse`] accepted.
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    url.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_written_after_the_base_segment_by_segment() {
        let base = CdnBaseUrl::parse("https://cdn.example.com/photos/").unwrap();
        let key = ObjectKey::parse("acme/wo 1/été~(1).jpg").unwrap();
        assert_eq!(base.url_of(&key), "https://cdn.example.com/photos/acme/wo%201/%C3%A9t%C3%A9~%281%29.jpg");
    }

    #[test]
    fn scheme_and_host_compare_without_case_and_the_path_exactly() {
        let base = CdnBaseUrl::parse("https://cdn.example.com/p/").unwrap();
        let key = ObjectKey::parse("acme/a b.jpg").unwrap();
        let serves = |url: &str| base.serves(&key, &CdnUrl::parse(url).unwrap());
        assert!(serves("https://cdn.example.com/p/acme/a%20b.jpg"));
        assert!(serves("HTTPS://CDN.Example.COM/p/acme/a%20b.jpg"));
        assert!(!serves("https://cdn.example.com/p/acme/a%20B.jpg"));
        assert!(!serves("https://cdn.example.com/p/acme/a%20b.jpg?v=1"));
        assert!(!serves("https://cdn.example.com/p/acme/a%2fb.jpg"));
        assert!(!serves("https://cdn.example.com/P/acme/a%20b.jpg"));
        assert!(!serves("https://other.example.com/p/acme/a%20b.jpg"));
    }

    #[test]
    fn a_base_must_end_with_a_slash() {
        assert!(CdnBaseUrl::parse("https://cdn.example.com/p").is_err());
        assert!(CdnBaseUrl::parse("https://cdn.example.com").is_err());
        assert!(CdnBaseUrl::parse("https://cdn.example.com/?x=/").is_err());
        assert!(CdnBaseUrl::parse("ftp://cdn.example.com/").is_err());
        assert!(CdnBaseUrl::parse("https://cdn.example.com/").is_ok());
    }
}
