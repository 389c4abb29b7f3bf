//! Who gets to the database, and until when: the queue in front of the pool.
//!
//! Work waits for a permit here, on the async side, before it takes a blocking thread: so the
//! blocking threads in use are at most the pool's size, and a request that cannot get to the
//! database by its deadline is answered 503 without ever having held a thread (5,000
//! concurrent attaches on SQLite once took 519 threads, 160 MB and a p50 of 3.8 s). Writers
//! may hold only part of the pool, so readers keep being served while writers queue; on
//! SQLite, which writes one at a time, one writer holds a permit and the rest wait here.
//!
//! The deadline is counted from the request's arrival when the caller says when that was
//! ([`with_deadline`], which the HTTP binary wraps around each request), else from the call.
//! A call that the queue ahead of it cannot clear before its deadline, at the pace calls have
//! been holding their permits lately, is refused at once rather than at its deadline: under a
//! flood the server answers 503 fast and frees its connections, instead of holding every
//! request for the whole timeout.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` as the latest instant any database call made by it may get to
/// the database; past it, the call fails as unavailable.
pub async fn with_deadline<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// The deadline of the calling task, or `timeout` from now.
pub(crate) fn deadline_or(timeout: Duration) -> Instant {
    DEADLINE.try_with(|d| *d).unwrap_or_else(|_| Instant::now() + timeout)
}

/// What a database call does, for its place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read = 0,
    Write = 1,
}

/// The permits: one per pooled connection, and fewer for writers.
#[derive(Debug)]
pub(crate) struct Admission {
    connections: Arc<Semaphore>,
    writers: Arc<Semaphore>,
    permits: [usize; 2],
    queues: [Queue; 2],
}

/// How long something took lately: a moving average over about the last eight, quick to
/// follow a change of load. Shared by the permits and the attach queue's batches.
#[derive(Debug, Default)]
pub(crate) struct Pace {
    /// In microseconds; 0 while none is measured.
    micros: AtomicU64,
}

impl Pace {
    /// Adds one measurement.
    pub(crate) fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let _ = self.micros.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some(if old == 0 { took } else { old - old / 8 + took / 8 })
        });
    }

    /// The average in microseconds; 0 while none is measured.
    pub(crate) fn micros(&self) -> u64 {
        self.micros.load(Ordering::Relaxed)
    }
}

/// One class of callers' queue: how many wait, and how long a permit is held lately.
#[derive(Debug, Default)]
struct Queue {
    waiting: AtomicUsize,
    /// The time a permit is held.
    held: Arc<Pace>,
}

impl Queue {
    /// Whether `waiting` calls ahead, at the recent pace over `permits`, clear before `left`.
    fn clears_in(&self, permits: usize, left: Duration) -> bool {
        let held = self.held.micros();
        let ahead = self.waiting.load(Ordering::Relaxed) as u64 + 1;
        let expected = Duration::from_micros(held.saturating_mul(ahead) / permits.max(1) as u64);
        held == 0 || expected <= left
    }
}

/// Held while a call uses the database; records how long when dropped.
#[derive(Debug)]
pub(crate) struct Admitted {
    _connection: OwnedSemaphorePermit,
    _writer: Option<OwnedSemaphorePermit>,
    since: Instant,
    held: Arc<Pace>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.held.record(self.since.elapsed());
    }
}

impl Admission {
    /// Permits for a pool of `pool_size`; `writers` of them at most for writers.
    pub(crate) fn new(pool_size: u32, writers: u32) -> Self {
        let pool = usize::try_from(pool_size.max(1)).unwrap_or(1);
        let writers = usize::try_from(writers.clamp(1, pool_size.max(1))).unwrap_or(1);
        Self {
            connections: Arc::new(Semaphore::new(pool)),
            writers: Arc::new(Semaphore::new(writers)),
            permits: [pool, writers],
            queues: [Queue::default(), Queue::default()],
        }
    }

    /// Waits for a permit until `deadline`; `None` if it passed first, or if the queue ahead
    /// cannot clear before it.
    pub(crate) async fn admit(&self, access: Access, deadline: Instant) -> Option<Admitted> {
        let class = access as usize;
        let queue = &self.queues[class];
        // With a permit free there is no queue to judge; otherwise a queue that cannot clear
        // in time is refused now rather than at the deadline.
        let semaphore = match access {
            Access::Write => &self.writers,
            Access::Read => &self.connections,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if semaphore.available_permits() == 0 && !queue.clears_in(self.permits[class], left) {
            return None;
        }
        queue.waiting.fetch_add(1, Ordering::Relaxed);
        let wait = async {
            let writer = match access {
                Access::Write => Some(self.writers.clone().acquire_owned().await.ok()?),
                Access::Read => None,
            };
            let connection = self.connections.clone().acquire_owned().await.ok()?;
            Some(Admitted {
                _connection: connection,
                _writer: writer,
                since: Instant::now(),
                held: queue.held.clone(),
            })
        };
        let admitted = tokio::time::timeout_at(deadline.into(), wait).await.ok().flatten();
        queue.waiting.fetch_sub(1, Ordering::Relaxed);
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_are_admitted_while_writers_hold_their_share() {
        let admission = Admission::new(4, 3);
        let far = Instant::now() + Duration::from_secs(10);
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(admission.admit(Access::Write, far).await.unwrap());
        }
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(admission.admit(Access::Write, soon).await.is_none(), "a fourth writer waits, then gives up");
        assert!(admission.admit(Access::Read, soon).await.is_some(), "a reader gets the connection left");
    }

    #[tokio::test]
    async fn a_queue_that_cannot_clear_before_the_deadline_is_refused_at_once() {
        let admission = Admission::new(1, 1);
        // One call held its permit 100 ms: the pace is known.
        let first = admission.admit(Access::Write, Instant::now() + Duration::from_secs(1)).await.unwrap();
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        let held = admission.admit(Access::Write, Instant::now() + Duration::from_secs(1)).await.unwrap();
        let started = Instant::now();
        // 50 ms left, 100 ms a call, the permit taken: refused without waiting out the 50 ms.
        assert!(admission.admit(Access::Write, Instant::now() + Duration::from_millis(50)).await.is_none());
        assert!(started.elapsed() < Duration::from_millis(20), "refused after {:?}", started.elapsed());
        drop(held);
        // A free permit is taken whatever the pace was.
        assert!(admission.admit(Access::Write, Instant::now() + Duration::from_millis(50)).await.is_some());
    }

    #[tokio::test]
    async fn the_deadline_of_the_task_is_the_one_used() {
        let arrival = Instant::now();
        let seen =
            with_deadline(arrival + Duration::from_millis(5), async { deadline_or(Duration::from_secs(60)) })
                .await;
        assert_eq!(seen, arrival + Duration::from_millis(5));
        assert!(deadline_or(Duration::from_secs(60)) > arrival + Duration::from_secs(59));
    }
}
