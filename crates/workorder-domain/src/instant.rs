//! Instants at the precision every store keeps, and as the contract writes them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant as the contract writes it: RFC 3339, in the instant's offset (UTC for every
/// instant the domain makes or stores).
pub fn rfc3339(instant: OffsetDateTime) -> String {
    // Formatting an instant of years 0000-9999 cannot fail; the fallback is only a guard.
    instant.format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
}

/// `instant` truncated to the microsecond: both databases keep microseconds, so a value that
/// round-trips through a store compares equal to the one written (a retry is recognised by
/// the same instant).
pub fn truncate_to_micros(instant: OffsetDateTime) -> OffsetDateTime {
    // Cannot fail: a whole number of microseconds is a valid nanosecond.
    instant.replace_nanosecond(instant.nanosecond() / 1_000 * 1_000).unwrap_or(instant)
}
