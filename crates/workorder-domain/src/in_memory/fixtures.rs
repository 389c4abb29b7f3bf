//! Test doubles of the clock and of the photo ids, so tests can predict both.

use std::sync::Mutex;

use time::OffsetDateTime;

use super::lock;
use crate::photo::PhotoId;
use crate::ports::{Clock, PhotoIdGenerator};

/// A clock that shows the time it is set to.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self(Mutex::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        *lock(&self.0) = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *lock(&self.0)
    }
}

/// Photo ids from a counter, so tests can predict them.
#[derive(Debug, Default)]
pub struct SequentialPhotoIds(Mutex<u128>);

impl PhotoIdGenerator for SequentialPhotoIds {
    fn next_id(&self) -> PhotoId {
        let mut next = lock(&self.0);
        *next += 1;
        PhotoId::new(ulid::Ulid(*next))
    }
}
