//! The write combiner: attaches that wait while the database is busy go to it together.
//!
//! Each attach joins the queue and waits for its own answer. A few flushers (one on SQLite,
//! which writes one transaction at a time) take what is waiting, up to [`BATCH_MAX`] photos,
//! as one batch to the database (`attach_batch.rs`), answer each photo once the batch has
//! committed, and come back for the next while any wait. Nothing ever waits to fill a batch:
//! a photo that finds a flusher free goes at once, alone; under load, the photos that arrive
//! while the batches ahead are at the database make the next batch, so batches grow with the
//! load by themselves, up to the bound. Each photo pays a share of one commit, one hand-off to
//! a blocking thread and, on PostgreSQL, one round trip, instead of its own.
//!
//! The request's deadline still holds: a photo that waits is answered 503 once the batches
//! ahead of it cannot clear before its deadline, at the pace batches take lately, and the wait
//! for the answer is bounded as every database call's is.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::oneshot;
use workorder_domain::{Attachment, BatchSizes, Error, NewPhoto};

use crate::admission::Pace;
use crate::attach_batch::attach_batch;
use crate::database::{Database, NoAnswer, Overloaded};
use crate::database_calls::{self, DatabaseOperation};
use crate::failure::{is_cannot_write, to_domain_each};

/// The most photos one batch holds: past a few dozen the commit is already shared thin, and
/// a bound keeps one statement's arrays and one transaction's locks small.
pub(crate) const BATCH_MAX: usize = 64;

/// The most photos waiting at once; past it an attach is refused as overloaded. The HTTP
/// server's connection limit bounds it first; this bounds an embedder's.
const WAITING_MAX: usize = 16_384;

/// The queue of attaches and its flushers.
#[derive(Debug)]
pub(crate) struct AttachQueue {
    state: Mutex<State>,
    /// How many batches may be at the database at once.
    flushers: usize,
    /// A batch's time at the database.
    pace: Pace,
    sizes: SizeCounts,
}

#[derive(Debug, Default)]
struct State {
    waiting: VecDeque<Waiting>,
    flushing: usize,
    /// The number the next photo to join is known by.
    next_ticket: u64,
}

#[derive(Debug)]
struct Waiting {
    ticket: u64,
    photo: NewPhoto,
    deadline: Instant,
    answer: oneshot::Sender<(Result<Attachment, Error>, Batch)>,
}

/// The batch a photo was written in, as its caller is told.
#[derive(Debug, Clone, Copy)]
struct Batch {
    photos: usize,
    /// When the batch went to the database.
    at_database: Instant,
}

impl AttachQueue {
    /// A queue whose batches go `flushers` at a time to the database.
    pub(crate) fn new(flushers: usize) -> Self {
        Self {
            state: Mutex::default(),
            flushers: flushers.max(1),
            pace: Pace::default(),
            sizes: SizeCounts::default(),
        }
    }

    /// Attaches `photo` on `db` with the photos waiting beside it; its own answer.
    pub(crate) async fn attach(
        self: &Arc<Self>,
        db: &Database,
        photo: NewPhoto,
    ) -> Result<Attachment, Error> {
        let began = Instant::now();
        let (result, batch) = self.join_and_wait(db, photo).await;
        let (photos, queued) = batch.map_or((0, began.elapsed()), |b| (b.photos, b.at_database - began));
        database_calls::note(db.backend(), DatabaseOperation::AttachBatch { photos }, began, queued, &result);
        result
    }

    /// The photo's answer, and the batch it was written in if it got into one.
    async fn join_and_wait(
        self: &Arc<Self>,
        db: &Database,
        photo: NewPhoto,
    ) -> (Result<Attachment, Error>, Option<Batch>) {
        let deadline = db.deadline();
        let (answer, mut answered) = oneshot::channel();
        let ticket = {
            let mut state = self.state.lock();
            let busy = state.flushing == self.flushers;
            if state.waiting.len() >= WAITING_MAX || (busy && !self.clears(state.waiting.len(), deadline)) {
                return (Err(Error::unavailable(Overloaded)), None);
            }
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.waiting.push_back(Waiting { ticket, photo, deadline, answer });
            if !busy {
                state.flushing += 1;
                tokio::spawn(Flusher::new(self.clone(), db.clone()).run());
            }
            ticket
        };
        // Still waiting at its deadline, the photo leaves the queue unwritten and is refused,
        // as a call waiting for a permit would be; once in a batch, it waits for the batch.
        let received = match tokio::time::timeout_at(deadline.into(), &mut answered).await {
            Ok(received) => received,
            Err(_) => {
                {
                    let mut state = self.state.lock();
                    if let Some(at) = state.waiting.iter().position(|w| w.ticket == ticket) {
                        state.waiting.remove(at);
                        return (Err(Error::unavailable(Overloaded)), None);
                    }
                }
                match tokio::time::timeout_at(db.answer_by(deadline).into(), answered).await {
                    Ok(received) => received,
                    Err(_) => return (Err(Error::unavailable(NoAnswer)), None),
                }
            }
        };
        match received {
            Ok((result, batch)) => (result, Some(batch)),
            // The flusher ended without answering: only a panic of ours does that.
            Err(_) => (Err(Error::internal("the batch of this attach ended without an answer")), None),
        }
    }

    /// Whether `waiting` photos ahead, in full batches over every flusher at the recent pace,
    /// clear before `deadline`.
    fn clears(&self, waiting: usize, deadline: Instant) -> bool {
        let batch_us = self.pace.micros();
        let rounds = (waiting / (BATCH_MAX * self.flushers) + 1) as u64;
        let expected = Duration::from_micros(batch_us.saturating_mul(rounds));
        batch_us == 0 || Instant::now() + expected <= deadline
    }

    /// How many batches of each size were written so far.
    pub(crate) fn sizes(&self) -> BatchSizes {
        self.sizes.sample()
    }
}

/// One flusher: takes batches until none waits. Its slot is given back when it ends, even by
/// a panic, so the queue never runs short of flushers.
struct Flusher {
    queue: Arc<AttachQueue>,
    db: Database,
    /// Whether the slot was given back already.
    done: bool,
}

impl Flusher {
    fn new(queue: Arc<AttachQueue>, db: Database) -> Self {
        Self { queue, db, done: false }
    }

    async fn run(mut self) {
        while let Some(batch) = self.next_batch() {
            self.write(batch).await;
        }
    }

    /// The photos waiting, up to a batch; `None` when none waits, and then the slot is given
    /// back in the same step, so that a photo arriving just after starts a flusher of its own.
    fn next_batch(&mut self) -> Option<Vec<Waiting>> {
        let mut state = self.queue.state.lock();
        if state.waiting.is_empty() {
            state.flushing -= 1;
            self.done = true;
            return None;
        }
        let n = state.waiting.len().min(BATCH_MAX);
        Some(state.waiting.drain(..n).collect())
    }

    async fn write(&self, batch: Vec<Waiting>) {
        let (photos, answers): (Vec<NewPhoto>, Vec<(Instant, oneshot::Sender<_>)>) =
            batch.into_iter().map(|w| (w.photo, (w.deadline, w.answer))).unzip();
        let count = photos.len();
        // The batch may wait for the database as long as its latest photo may.
        let deadline = answers.iter().map(|(deadline, _)| *deadline).max().unwrap_or_else(Instant::now);
        self.queue.sizes.observe(count);
        let started = Instant::now();
        let batch = Batch { photos: count, at_database: started };
        let written = self
            .db
            .run_write_by(deadline, move |conn| {
                attach_batch(conn, &photos)
                    .or_else(|e| Ok(to_domain_each(e, photos.len()).map(Err).collect()))
            })
            .await;
        self.queue.pace.record(started.elapsed());
        let results: Vec<Result<Attachment, Error>> = match written {
            Ok(results) => results,
            // No turn at the database, or no answer from it: the same for every photo.
            Err(error) => {
                let unavailable = matches!(error, Error::Unavailable(_));
                let cause = error.to_string();
                (0..count)
                    .map(|_| {
                        Err(if unavailable {
                            Error::unavailable(cause.clone())
                        } else {
                            Error::internal(cause.clone())
                        })
                    })
                    .collect()
            }
        };
        if results.iter().any(|r| r.as_ref().is_err_and(is_cannot_write)) {
            self.db.note_cannot_write();
        }
        for ((_, answer), result) in answers.into_iter().zip(results) {
            // A caller that stopped waiting has been answered already.
            let _ = answer.send((result, batch));
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        if !self.done {
            self.queue.state.lock().flushing -= 1;
        }
    }
}

/// Batches by size, counted as they are written.
#[derive(Debug, Default)]
struct SizeCounts {
    counts: [AtomicU64; BatchSizes::BOUNDS.len()],
    photos: AtomicU64,
}

impl SizeCounts {
    fn observe(&self, size: usize) {
        let size = size as u64;
        let bucket = BatchSizes::BOUNDS
            .iter()
            .position(|&bound| size <= bound)
            .unwrap_or(BatchSizes::BOUNDS.len() - 1);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.photos.fetch_add(size, Ordering::Relaxed);
    }

    fn sample(&self) -> BatchSizes {
        BatchSizes {
            counts: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)),
            photos: self.photos.load(Ordering::Relaxed),
        }
    }
}
