//! Instants at the precision every store keeps.

use time::OffsetDateTime;

/// `instant` truncated to the microsecond: both databases keep microseconds, so a value that
/// round-trips through a store compares equal to the one written (a retry is recognised by
/// the same instant).
pub fn truncate_to_micros(instant: OffsetDateTime) -> OffsetDateTime {
    // Cannot fail: a whole number of microseconds is a valid nanosecond.
    instant.replace_nanosecond(instant.nanosecond() / 1_000 * 1_000).unwrap_or(instant)
}
