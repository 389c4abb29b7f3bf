//! The database handle: a pool of connections to one backend, and the runners that take the
//! work of a request off the async workers.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::r2d2;
use workorder_domain::{Error, PoolProbe, PoolSample};

use crate::admission::{Access, Admission, deadline_or};
use crate::attach_queue::AttachQueue;
use crate::connection::{AnyConnection, Manager, OneLineErrorHandler};
use crate::database_calls::{self, DatabaseOperation};
use crate::database_url::{Backend, DatabaseUrl};
use crate::error::InfraError;
use crate::failure::is_cannot_write;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Where.
    pub url: DatabaseUrl,
    /// The most connections this process holds.
    pub pool_size: u32,
    /// How long a request waits for a connection (or to open one) before it is answered 503.
    pub connect_timeout: Duration,
    /// On PostgreSQL, how long a statement may run or wait for a lock before it is cancelled
    /// (and the request answered 503).
    pub statement_timeout: Duration,
    /// After a write failed for want of storage, how long readiness says "not ready" before
    /// it tries a write of its own: a one-row check can fit where a photo did not (a full
    /// disk still takes a write into space a failed one left).
    pub write_failure_hold: Duration,
    /// On PostgreSQL, how many batches of attaches may be at the database at once (at most
    /// the writers' share of the pool; SQLite writes one at a time). Fewer make bigger
    /// batches under the same load.
    pub attach_batches_at_once: u32,
}

impl DatabaseConfig {
    /// Defaults for a URL: 8 connections, 2 s to get one, 5 s for a statement. (On 2 cores, 8 connections gave
    /// PostgreSQL 19 % less CPU per photo than 16, and more throughput: docs/performance.md.)
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            pool_size: 8,
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            write_failure_hold: Duration::from_secs(5),
            attach_batches_at_once: 1,
        }
    }
}

/// The database: a pool of connections to one backend.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    url: DatabaseUrl,
    counters: Arc<PoolCounters>,
    /// The queue in front of the pool.
    admission: Arc<Admission>,
    connect_timeout: Duration,
    pub(crate) statement_timeout: Duration,
    /// When a write last failed because the storage cannot write; cleared by the next write
    /// that commits. Readiness says "not ready" meanwhile.
    write_failure: Arc<parking_lot::Mutex<Option<Instant>>>,
    write_failure_hold: Duration,
    /// The attaches waiting to be written together.
    attaches: Arc<AttachQueue>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("url", &self.url).field("state", &self.pool.state()).finish()
    }
}

#[derive(Debug, Default)]
struct PoolCounters {
    waits: AtomicU64,
    timeouts: AtomicU64,
}

impl Database {
    /// Opens the pool and checks that a connection can be had, failing fast (within the
    /// connect timeout) if the database cannot be reached.
    pub fn connect(config: &DatabaseConfig) -> Result<Self, InfraError> {
        let db = Self::open(config)?;
        db.pool.get().map_err(|source| InfraError::Connect { url: config.url.to_string(), source })?;
        Ok(db)
    }

    /// The pool, without checking that a connection can be had: the first request finds out.
    pub(crate) fn open(config: &DatabaseConfig) -> Result<Self, InfraError> {
        let manager = Manager {
            url: config.url.clone(),
            connect_timeout: config.connect_timeout,
            statement_timeout: config.statement_timeout,
        };
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size.max(1))
            // No idle minimum: r2d2 opens connections on its own threads, and one still
            // opening when the process exits races libpq's and OpenSSL's exit handlers (a
            // segfault in about one CLI run in ten, measured). Connections are opened on
            // demand and kept idle afterwards.
            .min_idle(Some(0))
            .error_handler(Box::new(OneLineErrorHandler))
            .connection_timeout(config.connect_timeout)
            // A checkout test costs a round trip per request; broken connections are found by
            // `has_broken` and by the failing query instead.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|source| InfraError::Connect { url: config.url.to_string(), source })?;
        let pool_size = config.pool_size.max(1);
        // A quarter of the connections (one at least) stays for readers; SQLite writes one
        // at a time whatever the pool, so its writers wait for their turn in the queue.
        let writers = match config.url.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => pool_size - (pool_size / 4).max(1).min(pool_size - 1),
        };
        let attach_flushers = match config.url.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => config.attach_batches_at_once.clamp(1, writers),
        };
        Ok(Self {
            pool,
            url: config.url.clone(),
            counters: Arc::default(),
            admission: Arc::new(Admission::new(pool_size, writers)),
            connect_timeout: config.connect_timeout,
            statement_timeout: config.statement_timeout,
            write_failure: Arc::default(),
            write_failure_hold: config.write_failure_hold,
            attaches: Arc::new(AttachQueue::new(usize::try_from(attach_flushers).unwrap_or(1))),
        })
    }

    /// What readiness should do about writes: the last write failed because the storage
    /// cannot write (disk full, read-only, I/O error, a standby) and none has committed since.
    pub(crate) fn write_state(&self) -> WriteState {
        match *self.write_failure.lock() {
            None => WriteState::Working,
            Some(at) if at.elapsed() < self.write_failure_hold => WriteState::Failing,
            Some(_) => WriteState::Recheck,
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Where the database is, without the password.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A pooled connection, on the current thread: for start-up and migrations.
    pub(crate) fn connection(&self) -> Result<r2d2::PooledConnection<Manager>, InfraError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` on a pooled connection on tokio's blocking threads, so async workers never
    /// wait on the database. Waiting for a connection past the timeout is
    /// [`Error::Unavailable`].
    pub(crate) async fn run<R, F>(&self, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.run_on_pool(Access::Read, deadline_or(self.connect_timeout), work).await
    }

    /// Like [`Database::run`], for work that writes. On SQLite, which has one writer at a
    /// time, writers take turns in the admission queue (one writer permit, held until the
    /// work returns) instead of on SQLite's busy handler, which sleeps and retries: measured,
    /// 16 writers through the busy handler had a p99 of 0.9 s and 64 saw errors.
    /// Whether the storage took the write is remembered for readiness.
    pub(crate) async fn run_write<R, F>(&self, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.run_write_by(deadline_or(self.connect_timeout), work).await
    }

    /// Like [`Database::run_write`], for work whose deadline is given: a batch of attaches,
    /// which waits as long as its latest photo may.
    pub(crate) async fn run_write_by<R, F>(&self, deadline: Instant, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        let result = self.run_on_pool(Access::Write, deadline, work).await;
        match &result {
            Ok(_) => *self.write_failure.lock() = None,
            Err(error) if is_cannot_write(error) => self.note_cannot_write(),
            Err(_) => {}
        }
        result
    }

    /// The latest instant the calling request may get to the database: its deadline, or the
    /// connect timeout from now.
    pub(crate) fn deadline(&self) -> Instant {
        deadline_or(self.connect_timeout)
    }

    /// The latest instant a call with `deadline` waits for the database's answer: the server
    /// bounds a statement, this bounds the wait on our side, for a server or relay gone silent.
    pub(crate) fn answer_by(&self, deadline: Instant) -> Instant {
        deadline + self.statement_timeout + ANSWER_MARGIN
    }

    /// The queue of attaches waiting to be written together.
    pub(crate) fn attaches(&self) -> &Arc<AttachQueue> {
        &self.attaches
    }

    /// A write just failed because the storage cannot write: readiness says "not ready".
    pub(crate) fn note_cannot_write(&self) {
        *self.write_failure.lock() = Some(Instant::now());
    }

    /// Waits for a permit until the deadline (the request's, or the timeout from now), then
    /// runs `work` on a blocking thread with what is left of it for a connection.
    async fn run_on_pool<R, F>(&self, access: Access, deadline: Instant, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        let began = Instant::now();
        let operation = match access {
            Access::Read => DatabaseOperation::Read,
            Access::Write => DatabaseOperation::Write,
        };
        let Some(admitted) = self.admission.admit(access, deadline).await else {
            self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
            let refused = Err(Error::unavailable(Overloaded));
            database_calls::note(self.backend(), operation, began, began.elapsed(), &refused);
            return refused;
        };
        let queued = began.elapsed();
        let (pool, counters) = (self.pool.clone(), self.counters.clone());
        let work = tokio::task::spawn_blocking(move || {
            // Held until the work returns, even when the caller stopped waiting for it: on
            // SQLite that keeps writers to one at a time.
            let _admitted = admitted;
            if pool.state().idle_connections == 0 {
                counters.waits.fetch_add(1, Ordering::Relaxed);
            }
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            let mut conn = pool.get_timeout(left).map_err(|e| {
                counters.timeouts.fetch_add(1, Ordering::Relaxed);
                Error::unavailable(e)
            })?;
            work(&mut conn)
        });
        // The server bounds a statement; this bounds the wait for its answer on our side, for
        // a server or relay gone silent. The thread keeps the connection (and its permit)
        // until the driver gives up (tcp_user_timeout), and the connection then leaves the
        // pool as broken; the request is answered now.
        let result = match tokio::time::timeout_at(self.answer_by(deadline).into(), work).await {
            Ok(joined) => joined.unwrap_or_else(|panicked| Err(Error::internal(panicked))),
            Err(_) => {
                self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                Err(Error::unavailable(NoAnswer))
            }
        };
        database_calls::note(self.backend(), operation, began, queued, &result);
        result
    }
}

/// How long past the statement timeout a call waits for the database's answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(1);

/// The database did not answer within the statement timeout and the margin.
#[derive(Debug, thiserror::Error)]
#[error("the database did not answer within the statement timeout")]
pub(crate) struct NoAnswer;

/// The request's deadline passed while it queued for the database.
#[derive(Debug, thiserror::Error)]
#[error("no turn at the database before the request's deadline")]
pub(crate) struct Overloaded;

/// Whether writes work, for readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteState {
    /// No write has failed for want of storage since the last one that committed.
    Working,
    /// One just did: not ready.
    Failing,
    /// One did a while ago: a write of readiness's own decides.
    Recheck,
}

impl PoolProbe for Database {
    fn sample(&self) -> PoolSample {
        let state = self.pool.state();
        PoolSample {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
            waits: self.counters.waits.load(Ordering::Relaxed),
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
            attach_batches: self.attaches.sizes(),
        }
    }
}
