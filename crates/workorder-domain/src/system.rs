//! The production adapters of the two ports that need no infrastructure: the system clock
//! and random ULIDs.

use time::OffsetDateTime;
use ulid::Ulid;

use crate::photo::PhotoId;
use crate::ports::{Clock, PhotoIdGenerator};

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Random ULIDs: time-ordered and unique without coordination between servers.
#[derive(Debug, Clone, Copy, Default)]
pub struct UlidPhotoIds;

impl PhotoIdGenerator for UlidPhotoIds {
    fn next_id(&self) -> PhotoId {
        PhotoId::new(Ulid::generate())
    }
}
