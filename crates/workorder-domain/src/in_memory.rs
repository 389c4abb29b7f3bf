//! In-memory adapters of every port, faithful to the ports' contracts (the attach is atomic),
//! for embedders' tests and ours. Enabled by the `in-memory` feature.

use std::sync::{Mutex, MutexGuard, PoisonError};

mod api_keys;
mod fixtures;
mod objects;
mod webhooks;
mod work_orders;

pub use api_keys::InMemoryApiKeyVerifier;
pub use fixtures::{ManualClock, SequentialPhotoIds};
pub use objects::{CHECKSUM_HEADER, InMemoryObjectStore, UploadRefused};
pub use work_orders::InMemoryWorkOrderRepo;

/// Drives a future to completion on this thread. The domain needs no runtime, and neither do
/// tests and examples over these adapters, whose futures never wait on I/O.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the in-memory store was switched off")]
struct SwitchedOff;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps half-updated (each update is one
    // insert), so the data is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
