//! The database calls a request makes, for whoever traces it: the HTTP binary turns them into
//! OpenTelemetry spans when built with its `otlp` feature; an embedder may turn them into its
//! own. Recording is opt-in per task ([`DatabaseCalls::record`]): a task that does not ask
//! pays one task-local lookup a call.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use workorder_domain::Error;

use crate::database_url::Backend;

tokio::task_local! {
    static CALLS: DatabaseCalls;
}

/// One call to the database, as the request that made it saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseCall {
    /// The database it went to.
    pub backend: Backend,
    /// What it did.
    pub operation: DatabaseOperation,
    /// When it was made.
    pub started: SystemTime,
    /// How long it waited for its turn: for a permit, or for an attach until its batch left
    /// the queue for the database (the batch's own wait for a writer's permit is then part
    /// of the rest).
    pub queued: Duration,
    /// How long from the call to its answer, the wait included.
    pub duration: Duration,
    /// Why it failed, when the database could not be reached or the call itself failed; a
    /// business answer (an unknown work order, a conflict) is not a failure of the call.
    pub failure: Option<String>,
}

/// What a database call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseOperation {
    /// Read, on any pooled connection.
    Read,
    /// Wrote, taking a writer's turn.
    Write,
    /// Attached a photo in a batch of `photos` written together.
    AttachBatch {
        /// How many photos the batch held, this one included; 0 when the photo was refused
        /// before it got into one.
        photos: usize,
    },
}

impl DatabaseOperation {
    /// A short name for it, as a span's name says it.
    pub fn name(self) -> &'static str {
        match self {
            DatabaseOperation::Read => "read",
            DatabaseOperation::Write => "write",
            DatabaseOperation::AttachBatch { .. } => "attach batch",
        }
    }
}

/// The calls recorded for one task, at most [`DatabaseCalls::MAX`]; a request makes a handful.
#[derive(Debug, Clone, Default)]
pub struct DatabaseCalls(Arc<Mutex<Recorded>>);

#[derive(Debug, Default)]
struct Recorded {
    calls: Vec<DatabaseCall>,
    dropped: usize,
}

impl DatabaseCalls {
    /// The most calls kept for one task: a loop of calls must not grow its record without
    /// bound.
    pub const MAX: usize = 64;

    /// Runs `work`, recording every database call it makes on this task.
    pub async fn record<F: Future>(&self, work: F) -> F::Output {
        CALLS.scope(self.clone(), work).await
    }

    /// The calls recorded so far, in the order they ended, and how many were not kept.
    pub fn take(&self) -> (Vec<DatabaseCall>, usize) {
        let mut recorded = self.0.lock();
        (std::mem::take(&mut recorded.calls), std::mem::take(&mut recorded.dropped))
    }

    fn push(&self, call: DatabaseCall) {
        let mut recorded = self.0.lock();
        if recorded.calls.len() < Self::MAX {
            recorded.calls.push(call);
        } else {
            recorded.dropped += 1;
        }
    }
}

/// Notes a call that began at `began` and waited `queued`, if the calling task records calls.
pub(crate) fn note<R>(
    backend: Backend,
    operation: DatabaseOperation,
    began: Instant,
    queued: Duration,
    result: &Result<R, Error>,
) {
    let _ = CALLS.try_with(|calls| {
        let duration = began.elapsed();
        let failure = match result {
            Err(error @ (Error::Unavailable(cause) | Error::Internal(cause))) => {
                Some(crate::connection::one_line(&format!("{error}: {cause}")))
            }
            _ => None,
        };
        let started = SystemTime::now().checked_sub(duration).unwrap_or(SystemTime::UNIX_EPOCH);
        calls.push(DatabaseCall { backend, operation, started, queued, duration, failure });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_recorded_only_inside_the_scope_and_bounded() {
        let calls = DatabaseCalls::default();
        let ok: Result<(), Error> = Ok(());
        note(Backend::Sqlite, DatabaseOperation::Read, Instant::now(), Duration::ZERO, &ok);
        assert_eq!(calls.take().0.len(), 0, "outside the scope nothing is recorded");

        calls
            .record(async {
                for _ in 0..DatabaseCalls::MAX + 3 {
                    note(Backend::Sqlite, DatabaseOperation::Write, Instant::now(), Duration::ZERO, &ok);
                }
                let failed: Result<(), Error> = Err(Error::unavailable("the disk is full"));
                note(Backend::Postgres, DatabaseOperation::Read, Instant::now(), Duration::ZERO, &failed);
            })
            .await;
        let (kept, dropped) = calls.take();
        assert_eq!((kept.len(), dropped), (DatabaseCalls::MAX, 4));
        assert!(kept.iter().all(|c| c.operation == DatabaseOperation::Write && c.failure.is_none()));
        assert_eq!(calls.take().0.len(), 0, "taken once");
    }

    #[tokio::test]
    async fn a_failure_of_the_call_is_recorded_and_a_business_answer_is_not() {
        let calls = DatabaseCalls::default();
        calls
            .record(async {
                let unknown: Result<(), Error> = Err(Error::WorkOrderNotFound);
                note(Backend::Sqlite, DatabaseOperation::Read, Instant::now(), Duration::ZERO, &unknown);
                let failed: Result<(), Error> = Err(Error::unavailable("the disk is full"));
                note(Backend::Sqlite, DatabaseOperation::Write, Instant::now(), Duration::ZERO, &failed);
            })
            .await;
        let failures: Vec<_> = calls.take().0.into_iter().map(|c| c.failure).collect();
        assert_eq!(failures[0], None);
        assert!(failures[1].as_deref().is_some_and(|f| f.contains("the disk is full")), "{failures:?}");
    }
}
