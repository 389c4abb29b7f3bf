//! The production adapters of the two ports that need no infrastructure: the system clock
//! and random ULIDs.

use time::OffsetDateTime;
use ulid::Ulid;

use crate::photo::PhotoId;
use crate::ports::{Clock, JitterSource, PhotoIdGenerator};

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

/// Jitter from the random part of a fresh ULID (80 bits from the thread's generator): no
/// cryptographic need, and no dependency of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemJitter;

impl JitterSource for SystemJitter {
    fn unit(&self) -> f64 {
        // The top 53 bits of the random part, as a fraction of 2^53.
        (Ulid::generate().random() >> 27) as f64 / (1u64 << 53) as f64
    }
}
