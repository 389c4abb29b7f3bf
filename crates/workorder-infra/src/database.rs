//! The database: which backend a URL selects, the connection pool, migrations, and how
//! database failures become domain errors.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{ConnectionError, DatabaseErrorKind};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use workorder_domain::Error;

use crate::store::Store;

/// The two databases we run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: production, several stateless servers on one database.
    Postgres,
    /// SQLite in a local file: the embedded default.
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A database URL: `postgres://…` / `postgresql://…`, or `sqlite://PATH` / `sqlite:PATH`.
///
/// Its `Display` and `Debug` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver is given: the URL for PostgreSQL, the file's path for SQLite.
    target: String,
}

/// A `DATABASE_URL` that selects no backend we run on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDatabaseUrl {
    /// Neither `postgres://`, `postgresql://` nor `sqlite:`.
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")]
    UnknownScheme,
    /// `sqlite://` without a path.
    #[error("DATABASE_URL sqlite:// needs a file path, e.g. sqlite://workorder.db")]
    MissingPath,
    /// A `postgres://` URL that does not parse.
    #[error("DATABASE_URL is not a valid PostgreSQL URL")]
    Malformed,
}

impl DatabaseUrl {
    /// Parses a database URL.
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|_| InvalidDatabaseUrl::Malformed)?;
            return Ok(Self { backend: Backend::Postgres, target: raw.to_owned() });
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or(InvalidDatabaseUrl::UnknownScheme)?;
        if path.is_empty() || path.starts_with(":memory:") {
            // An in-memory database would be a different one on each pooled connection.
            return Err(InvalidDatabaseUrl::MissingPath);
        }
        Ok(Self { backend: Backend::Sqlite, target: path.to_owned() })
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For SQLite, the database file.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.target.as_str())
    }

    /// For PostgreSQL, the driver's URL, password included; do not log it.
    pub fn postgres_url(&self) -> Option<&str> {
        (self.backend == Backend::Postgres).then_some(self.target.as_str())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Sqlite => write!(f, "sqlite://{}", self.target),
            Backend::Postgres => match url::Url::parse(&self.target) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        // Cannot fail: a URL with a password has a host.
                        let _ = url.set_password(Some("***"));
                    }
                    // libpq also takes secrets as parameters.
                    let secret = |key: &str| matches!(key, "password" | "sslpassword" | "sslkey");
                    if url.query_pairs().any(|(k, _)| secret(&k)) {
                        let pairs: Vec<(String, String)> = url
                            .query_pairs()
                            .map(|(k, v)| {
                                let v = if secret(&k) { "***".to_owned() } else { v.into_owned() };
                                (k.into_owned(), v)
                            })
                            .collect();
                        url.query_pairs_mut().clear().extend_pairs(pairs);
                    }
                    f.write_str(url.as_str())
                }
                Err(_) => f.write_str("postgres://<unparsable>"),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

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
        }
    }
}

/// A pooled connection to either backend.
pub(crate) enum Conn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl Conn {
    pub(crate) fn store(&mut self) -> &mut dyn Store {
        match self {
            Conn::Pg(c) => c,
            Conn::Sqlite(c) => c,
        }
    }
}

/// Opens connections for r2d2, choosing the backend by the URL's scheme so that a connection
/// error says what went wrong (diesel's derived multi-connection only says "invalid URL").
struct Manager {
    url: DatabaseUrl,
    connect_timeout: Duration,
    statement_timeout: Duration,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectError;

    fn connect(&self) -> Result<Conn, ConnectError> {
        match self.url.backend {
            Backend::Postgres => {
                let url = with_connect_timeout(&self.url.target, self.connect_timeout);
                let mut conn = PgConnection::establish(&url)?;
                // A request waits for a row lock or a slow statement a bounded time: past it,
                // the statement is cancelled and the request answered 503.
                let ms = self.statement_timeout.as_millis().max(1);
                conn.batch_execute(&format!("SET lock_timeout = {ms}; SET statement_timeout = {ms};"))?;
                Ok(Conn::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url.target)?;
                // busy_timeout first: the others may already wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                )?;
                Ok(Conn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectError> {
        Ok(conn.store().ping()?)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        match conn {
            Conn::Pg(c) => c.is_broken(),
            Conn::Sqlite(c) => c.is_broken(),
        }
    }
}

/// Logs a failure to open a connection as one line, at debug level: the request that wanted
/// the connection reports it (a 503, logged with its cause), so the pool need not say it again.
#[derive(Debug)]
struct OneLineErrorHandler;

impl r2d2::HandleError<ConnectError> for OneLineErrorHandler {
    fn handle_error(&self, error: ConnectError) {
        log::debug!("opening a database connection failed: {}", one_line(&error.to_string()));
    }
}

/// Folds a multi-line driver message (libpq's has a second, indented line) into one.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// libpq waits for an unreachable host as long as the OS does; bound it by our timeout.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    // libpq's smallest effective value is 2 s.
    let secs = timeout.as_secs().max(2);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={secs}")
}

/// Why a connection could not be opened or checked.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The driver refused or could not reach the database.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// A set-up statement failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Failures of the operations that are not on a request's path: start-up, migrations, the
/// admin CLI. Each prints as one line an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// No connection could be opened.
    #[error("cannot connect to the database at {url}: {}", one_line(&source.to_string()))]
    Connect {
        /// Where (without the password).
        url: String,
        /// Why.
        #[source]
        source: r2d2::PoolError,
    },
    /// Migrating failed.
    #[error("migrating the database failed: {0}")]
    Migration(#[source] workorder_domain::BoxError),
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// No connection within the timeout.
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// No key could be made.
    #[error(transparent)]
    Random(#[from] crate::api_keys::RandomSourceFailed),
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An argument breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// The thing to create already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request names more than one thing.
    #[error("{0}")]
    Ambiguous(String),
}

/// The database: a pool of connections to one backend.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    url: DatabaseUrl,
    counters: Arc<PoolCounters>,
    /// SQLite's writers take turns here; `None` on PostgreSQL.
    writer: Option<Arc<parking_lot::Mutex<()>>>,
    connect_timeout: Duration,
    statement_timeout: Duration,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("url", &self.url).field("state", &self.pool.state()).finish()
    }
}

/// The pool's occupancy and waits, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
    /// The most it may open.
    pub max_size: u32,
    /// Requests that found no idle connection and had to wait (for one to be freed or opened).
    pub waits: u64,
    /// Requests that gave up after the connect timeout.
    pub timeouts: u64,
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
        pool.get().map_err(|source| InfraError::Connect { url: config.url.to_string(), source })?;
        let writer = (config.url.backend() == Backend::Sqlite).then(Arc::default);
        Ok(Self {
            pool,
            url: config.url.clone(),
            counters: Arc::default(),
            writer,
            connect_timeout: config.connect_timeout,
            statement_timeout: config.statement_timeout,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.url.backend
    }

    /// Where the database is, without the password.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The pool's occupancy and waits.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
            waits: self.counters.waits.load(Ordering::Relaxed),
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
        }
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, InfraError> {
        let mut conn = self.pool.get()?;
        // Several servers may start at once on one PostgreSQL: one migrates, the others wait
        // for it and then find nothing to do.
        // A migration may take longer than a request may: no timeouts while it runs.
        if let Conn::Pg(pg) = &mut *conn {
            pg.batch_execute("SET lock_timeout = 0; SET statement_timeout = 0;")?;
            diesel::sql_query("SELECT pg_advisory_lock(7262001)").execute(pg)?;
        }
        let applied = conn.store().migrate().map_err(InfraError::Migration);
        if let Conn::Pg(pg) = &mut *conn {
            diesel::sql_query("SELECT pg_advisory_unlock(7262001)").execute(pg)?;
            let ms = self.statement_timeout.as_millis().max(1);
            pg.batch_execute(&format!("SET lock_timeout = {ms}; SET statement_timeout = {ms};"))?;
        }
        applied
    }

    /// The newest applied migration, if any.
    pub fn schema_version(&self) -> Result<Option<String>, InfraError> {
        let mut conn = self.pool.get()?;
        conn.store().schema_version().map_err(InfraError::Migration)
    }

    /// Runs `work` on a pooled connection, on the current thread. For the CLI and start-up.
    pub(crate) fn blocking<R>(
        &self,
        work: impl FnOnce(&mut dyn Store) -> Result<R, InfraError>,
    ) -> Result<R, InfraError> {
        let mut conn = self.pool.get()?;
        work(conn.store())
    }

    /// Runs `work` on a pooled connection on tokio's blocking threads, so async workers never
    /// wait on the database. Waiting for a connection past the timeout is
    /// [`Error::Unavailable`].
    pub(crate) async fn run<R, F>(&self, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut dyn Store) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.run_on_pool(None, work).await
    }

    /// Like [`Database::run`], for work that writes. On SQLite, which has one writer at a
    /// time, writers queue on a lock in the process instead of on SQLite's busy handler,
    /// which sleeps and retries: measured, 16 writers through the busy handler had a p99 of
    /// 0.9 s and 64 saw errors. The wait is bounded by the same timeout as the pool's.
    pub(crate) async fn run_write<R, F>(&self, work: F) -> Result<R, Error>
    where
        F: FnOnce(&mut dyn Store) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.run_on_pool(self.writer.clone(), work).await
    }

    async fn run_on_pool<R, F>(
        &self,
        writer: Option<Arc<parking_lot::Mutex<()>>>,
        work: F,
    ) -> Result<R, Error>
    where
        F: FnOnce(&mut dyn Store) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        let (pool, counters, timeout) = (self.pool.clone(), self.counters.clone(), self.connect_timeout);
        tokio::task::spawn_blocking(move || {
            let _writing = match &writer {
                Some(lock) => Some(lock.try_lock_for(timeout).ok_or_else(|| {
                    counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    Error::unavailable(WriterBusy)
                })?),
                None => None,
            };
            if pool.state().idle_connections == 0 {
                counters.waits.fetch_add(1, Ordering::Relaxed);
            }
            let mut conn = pool.get().map_err(|e| {
                counters.timeouts.fetch_add(1, Ordering::Relaxed);
                Error::unavailable(e)
            })?;
            work(conn.store())
        })
        .await
        .map_err(Error::internal)?
    }
}

/// No turn to write came within the timeout.
#[derive(Debug, thiserror::Error)]
#[error("no turn to write to the SQLite database within the timeout")]
struct WriterBusy;

/// Maps a diesel error to the domain's: the database being unreachable (or SQLite's lock held
/// past the busy timeout) is [`Error::Unavailable`], anything else [`Error::Internal`].
pub(crate) fn to_domain(error: diesel::result::Error) -> Error {
    if is_unavailable(&error) { Error::unavailable(error) } else { Error::internal(error) }
}

fn is_unavailable(error: &diesel::result::Error) -> bool {
    use diesel::result::Error as E;
    match error {
        E::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
            true
        }
        E::DatabaseError(_, info) => {
            let message = info.message();
            [
                "database is locked",
                "database table is locked",
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "connection to server",
                "the database system is shutting down",
                "the database system is starting up",
                "could not connect",
                // lock_timeout and statement_timeout: the wait was bounded, retry later.
                "canceling statement due to",
            ]
            .iter()
            .any(|needle| message.contains(needle))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_backend_by_scheme() {
        let pg = DatabaseUrl::parse("postgres://u:secret@db:5432/wo").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(DatabaseUrl::parse("postgresql://db/wo").unwrap().backend(), Backend::Postgres);
        let file = DatabaseUrl::parse("sqlite://workorder.db").unwrap();
        assert_eq!((file.backend(), file.sqlite_path()), (Backend::Sqlite, Some("workorder.db")));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/wo.db").unwrap().sqlite_path(),
            Some("/var/lib/wo.db")
        );
        assert_eq!(DatabaseUrl::parse("sqlite:wo.db").unwrap().sqlite_path(), Some("wo.db"));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert_eq!(DatabaseUrl::parse("mysql://db/wo"), Err(InvalidDatabaseUrl::UnknownScheme));
        assert_eq!(DatabaseUrl::parse("workorder.db"), Err(InvalidDatabaseUrl::UnknownScheme));
        assert_eq!(DatabaseUrl::parse("sqlite://"), Err(InvalidDatabaseUrl::MissingPath));
        assert_eq!(DatabaseUrl::parse("sqlite::memory:"), Err(InvalidDatabaseUrl::MissingPath));
        assert_eq!(DatabaseUrl::parse("postgres://u:p@[bad/wo"), Err(InvalidDatabaseUrl::Malformed));
    }

    #[test]
    fn a_url_never_shows_its_password() {
        let url = DatabaseUrl::parse("postgres://app:hunter2@db:5432/wo").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/wo");
        assert!(!format!("{url:?}").contains("hunter2"));
        let in_query = DatabaseUrl::parse("postgres://db/wo?sslmode=require&password=hunter2").unwrap();
        assert_eq!(in_query.to_string(), "postgres://db/wo?sslmode=require&password=***");
    }

    #[test]
    fn the_connect_timeout_is_added_unless_given() {
        assert_eq!(
            with_connect_timeout("postgres://db/wo", Duration::from_secs(3)),
            "postgres://db/wo?connect_timeout=3"
        );
        assert_eq!(
            with_connect_timeout("postgres://db/wo?sslmode=require", Duration::from_millis(500)),
            "postgres://db/wo?sslmode=require&connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://db/wo?connect_timeout=9", Duration::from_secs(1)),
            "postgres://db/wo?connect_timeout=9"
        );
    }
}
