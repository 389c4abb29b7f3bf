//! Photos and the value types of their fields, each holding one rule of the contract.
//!
//! These types check what is intrinsic to a value (a key's shape, a URL's form). Rules that
//! depend on configuration or on the time of the request (the CDN host allow-list, the
//! clock-skew bound) are policy, checked by [`crate::AttachPhoto`].

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use ulid::Ulid;

use crate::identity::{ApiKeyId, TenantId};
use crate::work_order::WorkOrderId;

/// A photo's id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoId(Ulid);

impl PhotoId {
    /// Wraps a ULID.
    pub fn new(id: Ulid) -> Self {
        Self(id)
    }

    /// The ULID.
    pub fn ulid(self) -> Ulid {
        self.0
    }
}

impl std::str::FromStr for PhotoId {
    type Err = ulid::DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulid::from_string(s).map(Self)
    }
}

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The key of the photo's object in MinIO, within MinIO's limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

/// Why a text is not an object key. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ObjectKeyError {
    /// The key is empty.
    #[error("the object key is empty")]
    Empty,
    /// The key is over 1024 bytes of UTF-8.
    #[error("the object key is over 1024 bytes")]
    TooLong,
    /// The key holds a control character.
    #[error("the object key holds a control character")]
    ControlCharacter,
    /// The key starts with `/`.
    #[error("the object key starts with /")]
    LeadingSlash,
    /// The key has an empty segment (`a//b`, or a trailing `/`).
    #[error("the object key has an empty segment")]
    EmptySegment,
    /// The key has a `.` or `..` segment.
    #[error("the object key has a . or .. segment")]
    DotSegment,
    /// A segment between `/` is over 255 bytes.
    #[error("the object key has a segment over 255 bytes")]
    SegmentTooLong,
}

impl ObjectKeyError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            ObjectKeyError::Empty => "ne doit pas être vide",
            ObjectKeyError::TooLong => "dépasse 1024 octets",
            ObjectKeyError::ControlCharacter => "contient un caractère de contrôle",
            ObjectKeyError::LeadingSlash => "ne doit pas commencer par « / »",
            ObjectKeyError::EmptySegment => "contient un segment vide",
            ObjectKeyError::DotSegment => "contient un segment « . » ou « .. »",
            ObjectKeyError::SegmentTooLong => "contient un segment de plus de 255 octets",
        }
    }
}

impl ObjectKey {
    /// The longest key, in bytes of UTF-8.
    pub const MAX_BYTES: usize = 1024;
    /// The longest segment between `/`, in bytes of UTF-8.
    pub const MAX_SEGMENT_BYTES: usize = 255;

    /// Parses an object key: 1 to 1024 bytes, no control character, no leading `/`, no empty,
    /// `.` or `..` segment, no segment over 255 bytes.
    pub fn parse(raw: &str) -> Result<Self, ObjectKeyError> {
        if raw.is_empty() {
            return Err(ObjectKeyError::Empty);
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(ObjectKeyError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(ObjectKeyError::ControlCharacter);
        }
        if raw.starts_with('/') {
            return Err(ObjectKeyError::LeadingSlash);
        }
        for segment in raw.split('/') {
            match segment {
                "" => return Err(ObjectKeyError::EmptySegment),
                "." | ".." => return Err(ObjectKeyError::DotSegment),
                s if s.len() > Self::MAX_SEGMENT_BYTES => {
                    return Err(ObjectKeyError::SegmentTooLong);
                }
                _ => {}
            }
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

/// When the photo was taken: an instant at or after 2000-01-01T00:00:00Z, to the microsecond
/// (the precision both databases keep; a retry is recognised by the same instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TakenAt(OffsetDateTime);

/// Why a text is not a `takenAt`. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TakenAtError {
    /// Not an RFC 3339 date-time with an offset.
    #[error("takenAt is not an RFC 3339 date-time with an offset")]
    Malformed,
    /// Before 2000-01-01T00:00:00Z.
    #[error("takenAt is before 2000-01-01T00:00:00Z")]
    TooEarly,
    /// Further in the future than the allowed clock skew.
    #[error("takenAt is further in the future than the allowed clock skew")]
    InFuture,
}

impl TakenAtError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            TakenAtError::Malformed => "doit être une date-heure RFC 3339 avec décalage (Z ou ±hh:mm)",
            TakenAtError::TooEarly => "ne doit pas être antérieure à 2000-01-01T00:00:00Z",
            TakenAtError::InFuture => "ne doit pas être dans le futur au-delà de la dérive d'horloge admise",
        }
    }
}

impl TakenAt {
    /// The earliest instant accepted.
    pub const EARLIEST: OffsetDateTime = time::macros::datetime!(2000-01-01 00:00:00 UTC);

    /// Parses an RFC 3339 date-time with an offset (`Z` or `±hh:mm`).
    pub fn parse(raw: &str) -> Result<Self, TakenAtError> {
        // The parser takes any byte between date and time; RFC 3339 says `T` (or `t`).
        if !matches!(raw.as_bytes().get(10), Some(b'T' | b't')) {
            return Err(TakenAtError::Malformed);
        }
        let instant = OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| TakenAtError::Malformed)?;
        Self::from_instant(instant)
    }

    /// Wraps an instant, in UTC, truncated to the microsecond.
    pub fn from_instant(instant: OffsetDateTime) -> Result<Self, TakenAtError> {
        if instant < Self::EARLIEST {
            return Err(TakenAtError::TooEarly);
        }
        // 9999-12-31T23:59:59-01:00 is past the last year `time` holds once in UTC.
        let utc = instant.checked_to_offset(UtcOffset::UTC).ok_or(TakenAtError::InFuture)?;
        Ok(Self(crate::instant::truncate_to_micros(utc)))
    }

    /// The instant, in UTC.
    pub fn instant(self) -> OffsetDateTime {
        self.0
    }
}

/// The step of the intervention the photo documents (e.g. "before", "after"): 1 to 100
/// characters once trimmed, no control character. Stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step(String);

/// Why a text is not a step. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Empty or white space only.
    #[error("the step is empty or white space only")]
    Blank,
    /// Over 100 characters once trimmed.
    #[error("the step is over 100 characters")]
    TooLong,
    /// Holds a control character.
    #[error("the step holds a control character")]
    ControlCharacter,
}

impl StepError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            StepError::Blank => "ne doit pas être vide ni composée uniquement d'espaces",
            StepError::TooLong => "dépasse 100 caractères",
            StepError::ControlCharacter => "contient un caractère de contrôle",
        }
    }
}

impl Step {
    /// The longest step, in characters, once trimmed.
    pub const MAX_CHARS: usize = 100;

    /// Parses a step, trimming white space around it.
    pub fn parse(raw: &str) -> Result<Self, StepError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(StepError::Blank);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(StepError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(StepError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The step, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A photo to record: what [`crate::WorkOrderRepo::attach_photo`] receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    /// The tenant of the caller; the work order must belong to it.
    pub tenant: TenantId,
    /// The work order to attach to.
    pub work_order_id: WorkOrderId,
    /// The id to give the photo if it is new; a retry keeps the first id.
    pub photo_id: PhotoId,
    /// The object's key in MinIO; unique per work order.
    pub object_key: ObjectKey,
    /// Where the CDN serves it.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// The step it documents, if any.
    pub step: Option<Step>,
    /// The key that attached it.
    pub attached_by: ApiKeyId,
    /// When it is recorded (the service's clock, to the microsecond).
    pub recorded_at: OffsetDateTime,
}

impl NewPhoto {
    /// Whether `self` carries the same data as an already recorded photo with the same key:
    /// same CDN URL, same instant, same step. Then it is a retry, not a conflict.
    pub fn same_data_as(&self, cdn_url: &CdnUrl, taken_at: TakenAt, step: Option<&Step>) -> bool {
        self.cdn_url == *cdn_url && self.taken_at == taken_at && self.step.as_ref() == step
    }
}

/// A recorded photo as the read side shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoView {
    /// Its id.
    pub photo_id: PhotoId,
    /// Its key in MinIO.
    pub object_key: ObjectKey,
    /// Where the CDN serves it.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// The step it documents, if any.
    pub step: Option<Step>,
    /// When it was recorded (UTC).
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn object_keys_follow_minios_limits() {
        let at_limit = vec!["x".repeat(204); 5].join("/"); // 5 × 204 + 4 = 1024 bytes
        let e_acute_255 = format!("{}é", "a".repeat(253)); // 253 + 2 bytes = 255
        let e_acute_256 = format!("{}é", "a".repeat(254)); // 254 + 2 bytes = 256
        let euros = vec!["€".repeat(85); 3].join("/"); // 3 × 255 + 2 = 767 bytes
        let multibyte_1024 = format!("{euros}/{}/{}é", "a".repeat(200), "a".repeat(53));
        let multibyte_1025 = format!("{euros}/{}/{}é", "a".repeat(200), "a".repeat(54));
        let cases: Vec<(String, Result<(), ObjectKeyError>)> = vec![
            ("photo.jpg".into(), Ok(())),
            ("wo/2026/front.jpg".into(), Ok(())),
            ("a..b/c.d".into(), Ok(())),
            ("emoji/📷.jpg".into(), Ok(())),
            ("a".repeat(255), Ok(())),
            (at_limit.clone(), Ok(())),
            (e_acute_255, Ok(())),
            (multibyte_1024.clone(), Ok(())),
            (String::new(), Err(ObjectKeyError::Empty)),
            (format!("{at_limit}b"), Err(ObjectKeyError::TooLong)),
            ("x".repeat(5000), Err(ObjectKeyError::TooLong)),
            (multibyte_1025.clone(), Err(ObjectKeyError::TooLong)),
            ("a".repeat(256), Err(ObjectKeyError::SegmentTooLong)),
            (format!("x/{e_acute_256}"), Err(ObjectKeyError::SegmentTooLong)),
            ("/abs.jpg".into(), Err(ObjectKeyError::LeadingSlash)),
            ("a//b".into(), Err(ObjectKeyError::EmptySegment)),
            ("a/".into(), Err(ObjectKeyError::EmptySegment)),
            ("./a".into(), Err(ObjectKeyError::DotSegment)),
            ("a/../b".into(), Err(ObjectKeyError::DotSegment)),
            ("a/..".into(), Err(ObjectKeyError::DotSegment)),
            ("a\0b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\nb".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{7f}b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{85}b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{9f}b".into(), Err(ObjectKeyError::ControlCharacter)),
        ];
        assert_eq!((at_limit.len(), multibyte_1024.len(), multibyte_1025.len()), (1024, 1024, 1025));
        for (raw, expected) in cases {
            assert_eq!(ObjectKey::parse(&raw).map(|_| ()), expected, "{:?}", raw.get(..40));
        }
    }

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

    #[test]
    fn taken_at_needs_rfc3339_with_an_offset_from_2000_on() {
        let cases: Vec<(&str, Result<OffsetDateTime, TakenAtError>)> = vec![
            ("2026-04-15T12:00:00Z", Ok(datetime!(2026-04-15 12:00:00 UTC))),
            ("2026-04-15T14:00:00+02:00", Ok(datetime!(2026-04-15 12:00:00 UTC))),
            ("2026-04-15T12:00:00.123456789Z", Ok(datetime!(2026-04-15 12:00:00.123456 UTC))),
            ("2000-01-01T00:00:00Z", Ok(datetime!(2000-01-01 00:00:00 UTC))),
            ("2000-01-01T01:00:00+01:00", Ok(datetime!(2000-01-01 00:00:00 UTC))),
            ("1999-12-31T23:59:59.999999Z", Err(TakenAtError::TooEarly)),
            ("2000-01-01T00:59:59+01:00", Err(TakenAtError::TooEarly)),
            ("1970-01-01T00:00:00Z", Err(TakenAtError::TooEarly)),
            ("2026-04-15T12:00:00", Err(TakenAtError::Malformed)),
            ("2026-04-15", Err(TakenAtError::Malformed)),
            ("2026-04-15T12:00Z", Err(TakenAtError::Malformed)),
            ("15/04/2026 12:00", Err(TakenAtError::Malformed)),
            ("2026-02-30T12:00:00Z", Err(TakenAtError::Malformed)),
            ("2026-04-15T25:00:00Z", Err(TakenAtError::Malformed)),
            ("2026-04-15T12:00:00+2", Err(TakenAtError::Malformed)),
            (" 2026-04-15T12:00:00Z", Err(TakenAtError::Malformed)),
            ("", Err(TakenAtError::Malformed)),
            ("1776594000", Err(TakenAtError::Malformed)),
            ("2026-04-15x12:00:00Z", Err(TakenAtError::Malformed)),
            ("2026-04-15 12:00:00Z", Err(TakenAtError::Malformed)),
            ("2026-04-15t12:00:00z", Ok(datetime!(2026-04-15 12:00:00 UTC))),
            ("9999-12-31T23:59:59-01:00", Err(TakenAtError::InFuture)),
            ("9999-12-31T23:59:59Z", Ok(datetime!(9999-12-31 23:59:59 UTC))),
        ];
        for (raw, expected) in cases {
            assert_eq!(TakenAt::parse(raw).map(TakenAt::instant), expected, "{raw:?}");
        }
    }

    #[test]
    fn the_same_instant_in_two_offsets_is_the_same_taken_at() {
        assert_eq!(TakenAt::parse("2026-04-15T12:00:00Z"), TakenAt::parse("2026-04-15T13:00:00+01:00"));
    }

    #[test]
    fn steps_are_trimmed_and_bounded() {
        let hundred = "é".repeat(100);
        let cases: Vec<(String, Result<&str, StepError>)> = vec![
            ("before".into(), Ok("before")),
            ("  after repair \t".into(), Ok("after repair")),
            (format!(" {hundred} "), Ok(hundred.as_str())),
            ("étape 2 — câblage".into(), Ok("étape 2 — câblage")),
            ("x".into(), Ok("x")),
            ("é".repeat(101), Err(StepError::TooLong)),
            (String::new(), Err(StepError::Blank)),
            ("   ".into(), Err(StepError::Blank)),
            ("\t\n\u{a0}\u{3000}".into(), Err(StepError::Blank)),
            ("a\u{0}b".into(), Err(StepError::ControlCharacter)),
            ("a\u{1b}[31mb".into(), Err(StepError::ControlCharacter)),
            ("a\u{85}b".into(), Err(StepError::ControlCharacter)),
        ];
        for (raw, expected) in cases {
            assert_eq!(Step::parse(&raw).as_ref().map(Step::as_str).map_err(|e| *e), expected, "{raw:?}");
        }
    }
}
