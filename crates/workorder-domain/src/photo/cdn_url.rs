//! Where the CDN serves a photo.

use std::fmt;

/// The URL the CDN serves the photo at: absolute `http` or `https`, with a host, without
/// user-info, at most 2048 characters. Kept exactly as the client sent it, since a retry is
/// recognised by the same text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CdnUrl {
    raw: String,
    host: String,
}

/// Why a text is not a CDN URL. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CdnUrlError {
    /// Over 2048 characters.
    #[error("the CDN URL is over 2048 characters")]
    TooLong,
    /// Not an absolute `http` or `https` URL with a host.
    #[error("the CDN URL is not an absolute http or https URL with a host")]
    NotAbsoluteHttp,
    /// Holds white space, a control character or a backslash, or does not parse.
    #[error("the CDN URL does not parse")]
    Malformed,
    /// Carries user-info (`user:password@`).
    #[error("the CDN URL carries user-info")]
    UserInfo,
}

impl CdnUrlError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            CdnUrlError::TooLong => "dépasse 2048 caractères",
            CdnUrlError::NotAbsoluteHttp => "doit être une URL absolue http ou https avec un hôte",
            CdnUrlError::Malformed => "n'est pas une URL valide",
            CdnUrlError::UserInfo => "ne doit pas contenir d'identifiants (user-info)",
        }
    }
}

impl CdnUrl {
    /// The longest URL, in characters.
    pub const MAX_CHARS: usize = 2048;

    /// Parses a CDN URL.
    pub fn parse(raw: &str) -> Result<Self, CdnUrlError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(CdnUrlError::TooLong);
        }
        // WHATWG parsing forgives what we must not: it strips white space and control
        // characters, reads `\` as `/` and skips extra slashes, so `https:///evil` would gain a
        // host. The raw text is checked first, and the parser only confirms.
        if raw.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
            return Err(CdnUrlError::Malformed);
        }
        let rest = strip_prefix_ignore_ascii_case(raw, "https://")
            .or_else(|| strip_prefix_ignore_ascii_case(raw, "http://"))
            .ok_or(CdnUrlError::NotAbsoluteHttp)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(CdnUrlError::UserInfo);
        }
        if authority.is_empty() || authority.starts_with(':') {
            return Err(CdnUrlError::NotAbsoluteHttp);
        }
        let parsed = url::Url::parse(raw).map_err(|_| CdnUrlError::Malformed)?;
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or(CdnUrlError::NotAbsoluteHttp)?;
        Ok(Self { host: host.to_owned(), raw: raw.to_owned() })
    }

    /// The URL as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The host, lowercase and IDNA-encoded, for the allow-list.
    pub fn host(&self) -> &str {
        &self.host
    }
}

fn strip_prefix_ignore_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

impl fmt::Display for CdnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdn_urls_must_be_absolute_http_with_a_host_and_no_user_info() {
        let long_ok = format!("https://cdn.example.com/{}", "a".repeat(2048 - 24));
        let too_long = format!("{long_ok}a");
        assert_eq!(long_ok.chars().count(), 2048);
        let cases: Vec<(&str, Result<&str, CdnUrlError>)> = vec![
            ("https://example.com", Ok("example.com")),
            ("http://cdn.example.com/a/b.jpg?x=1#f", Ok("cdn.example.com")),
            ("HTTPS://CDN.Example.COM/P.jpg", Ok("cdn.example.com")),
            ("https://cdn.example.com:8443/p.jpg", Ok("cdn.example.com")),
            ("https://[::1]/p.jpg", Ok("[::1]")),
            ("https://bücher.example/p.jpg", Ok("xn--bcher-kva.example")),
            (long_ok.as_str(), Ok("cdn.example.com")),
            (too_long.as_str(), Err(CdnUrlError::TooLong)),
            ("", Err(CdnUrlError::NotAbsoluteHttp)),
            ("cdn.example.com/p.jpg", Err(CdnUrlError::NotAbsoluteHttp)),
            ("/p.jpg", Err(CdnUrlError::NotAbsoluteHttp)),
            ("ftp://cdn.example.com/p.jpg", Err(CdnUrlError::NotAbsoluteHttp)),
            ("javascript:alert(1)", Err(CdnUrlError::NotAbsoluteHttp)),
            ("data:image/png;base64,AAAA", Err(CdnUrlError::NotAbsoluteHttp)),
            ("file:///etc/passwd", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https:cdn.example.com", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https:/cdn.example.com", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https://", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https:///cdn.example.com", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https://:443/p", Err(CdnUrlError::NotAbsoluteHttp)),
            ("https://user:pw@cdn.example.com/p.jpg", Err(CdnUrlError::UserInfo)),
            ("https://user@cdn.example.com/p.jpg", Err(CdnUrlError::UserInfo)),
            ("https://@cdn.example.com/p.jpg", Err(CdnUrlError::UserInfo)),
            ("https://cdn.example.com\\@evil.com", Err(CdnUrlError::Malformed)),
            (" https://cdn.example.com", Err(CdnUrlError::Malformed)),
            ("https://cdn.example.com/a b", Err(CdnUrlError::Malformed)),
            ("https://cdn.exa\tmple.com", Err(CdnUrlError::Malformed)),
            ("https://cdn.example.com/\u{85}", Err(CdnUrlError::Malformed)),
            ("https://exa mple.com", Err(CdnUrlError::Malformed)),
            ("https://cdn.example.com:99999/", Err(CdnUrlError::Malformed)),
        ];
        for (raw, expected) in cases {
            let got = CdnUrl::parse(raw);
            assert_eq!(got.as_ref().map(CdnUrl::host).map_err(|e| *e), expected, "{raw:?}");
            if let Ok(url) = got {
                assert_eq!(url.as_str(), raw, "kept as sent");
            }
        }
    }
}
