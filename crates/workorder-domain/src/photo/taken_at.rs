//! When a photo was taken.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

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

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

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
}
