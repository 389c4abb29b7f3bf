//! Events: what integrators hear about, through the feed and webhooks.
//!
//! An event is written to the outbox in the transaction that records what it tells (a new
//! photo), so there is never an event without its photo nor a photo without its event. It
//! gets its place in its tenant's feed, a [`FeedPosition`], only after that transaction has
//! committed, from one relay at a time ([`crate::EventRelay`]): commit order, not id order,
//! decides the order of the feed, so a consumer that follows the positions misses nothing
//! when transactions commit out of order.

use std::fmt;

use time::OffsetDateTime;

use crate::error::{Field, FieldError};
use crate::identity::TenantId;
use crate::photo::{CdnUrl, NewPhoto, ObjectKey, PhotoId, Step, TakenAt};
use crate::work_order::WorkOrderId;

crate::ulid_id::ulid_id!(
    /// An event's id: a ULID. A `photo.attached` event takes its photo's ULID, so the outbox
    /// cannot hold two events for one photo, and a receiver can tell them apart by
    /// `webhook-id`.
    EventId
);

/// What happened: one variant per event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventData {
    /// A photo was recorded on a work order.
    PhotoAttached(PhotoAttached),
}

impl EventData {
    /// The event type as integrators read it, e.g. `photo.attached`.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventData::PhotoAttached(_) => PhotoAttached::TYPE,
        }
    }
}

/// A photo was recorded (never sent for a retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoAttached {
    /// The work order.
    pub work_order_id: WorkOrderId,
    /// The new photo.
    pub photo_id: PhotoId,
    /// Its key in MinIO.
    pub object_key: ObjectKey,
    /// Where the CDN serves it.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// The step it documents, if any.
    pub step: Option<Step>,
}

impl PhotoAttached {
    /// The type's name.
    pub const TYPE: &'static str = "photo.attached";
}

/// An event of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its id.
    pub id: EventId,
    /// Its tenant: only its keys see it, only its subscriptions receive it.
    pub tenant: TenantId,
    /// When it happened (UTC, to the microsecond).
    pub occurred_at: OffsetDateTime,
    /// What happened.
    pub data: EventData,
}

impl Event {
    /// The event a newly recorded photo writes to the outbox: what
    /// [`crate::WorkOrderRepo::attach_photo`] records with it.
    pub fn photo_attached(photo: &NewPhoto) -> Self {
        Self {
            id: EventId::new(photo.photo_id.ulid()),
            tenant: photo.tenant.clone(),
            occurred_at: photo.recorded_at,
            data: EventData::PhotoAttached(PhotoAttached {
                work_order_id: photo.work_order_id,
                photo_id: photo.photo_id,
                object_key: photo.object_key.clone(),
                cdn_url: photo.cdn_url.clone(),
                taken_at: photo.taken_at,
                step: photo.step.clone(),
            }),
        }
    }
}

/// An event's place in its tenant's feed: 1, 2, 3, … without gaps, in the order the relay
/// saw the events committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedPosition(u64);

impl FeedPosition {
    /// The first position of a feed.
    pub const FIRST: FeedPosition = FeedPosition(1);

    /// A position from a store; `None` for 0 or one past `i64::MAX` (what SQL can hold).
    pub fn new(position: u64) -> Option<Self> {
        (1..=i64::MAX as u64).contains(&position).then_some(Self(position))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The position after this one.
    pub fn next(self) -> FeedPosition {
        FeedPosition(self.0 + 1)
    }
}

/// An event in its tenant's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Its place.
    pub position: FeedPosition,
    /// The event.
    pub event: Event,
}

/// Where a consumer is in a feed: just after a position (or at the start). Clients treat its
/// text as opaque. A cursor is a position in a tenant's own feed: another tenant's cursor
/// shows only the caller's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FeedCursor(u64);

impl FeedCursor {
    /// Before the first event.
    pub const START: FeedCursor = FeedCursor(0);

    /// Just after `position`.
    pub fn after(position: FeedPosition) -> Self {
        Self(position.0)
    }

    /// The last position already seen; 0 at the start.
    pub fn last_seen(self) -> u64 {
        self.0
    }

    /// Parses a cursor made by [`Display`](fmt::Display): `e` and the last position seen.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(Field::After, "curseur invalide");
        let digits = raw.strip_prefix('e').ok_or_else(invalid)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 19 {
            return Err(invalid());
        }
        let position: u64 = digits.parse().map_err(|_| invalid())?;
        if position > i64::MAX as u64 {
            return Err(invalid());
        }
        Ok(Self(position))
    }
}

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

/// One page of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The events, oldest first.
    pub events: Vec<FeedEvent>,
    /// Just after the last event returned; on an empty page the cursor passed; `None` only
    /// when none was passed and the page is empty.
    pub next_cursor: Option<FeedCursor>,
    /// Whether more events were already there after this page.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for n in [0, 1, 42, i64::MAX as u64] {
            let cursor = FeedCursor(n);
            assert_eq!(FeedCursor::parse(&cursor.to_string()), Ok(cursor));
        }
        for bad in
            ["", "e", "1", "e-1", "e+1", "e1.5", "e 1", "E1", "e9223372036854775808", "e99999999999999999999"]
        {
            assert_eq!(FeedCursor::parse(bad).map_err(|e| e.field()), Err(Field::After), "{bad:?}");
        }
    }

    #[test]
    fn positions_start_at_one_and_fit_in_sql() {
        assert_eq!(FeedPosition::new(0), None);
        assert_eq!(FeedPosition::new(1), Some(FeedPosition::FIRST));
        assert_eq!(FeedPosition::new(i64::MAX as u64 + 1), None);
        assert_eq!(FeedCursor::after(FeedPosition::FIRST).last_seen(), 1);
    }
}
