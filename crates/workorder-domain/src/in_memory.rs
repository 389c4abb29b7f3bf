//! In-memory adapters of every port, faithful to the ports' contracts (the attach is atomic),
//! for embedders' tests and ours. Enabled by the `in-memory` feature.

use std::sync::{Mutex, MutexGuard, PoisonError};

mod api_keys;
mod fixtures;
mod work_orders;

pub use api_keys::InMemoryApiKeyVerifier;
pub use fixtures::{ManualClock, SequentialPhotoIds};
pub use work_orders::{InMemoryWorkOrderRepo, StoredPhoto};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps half-updated (each update is one
    // insert), so the data is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
