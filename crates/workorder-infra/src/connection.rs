//! A connection to either backend, how the pool opens one, and the transaction that writes.
//!
//! [`AnyConnection`] is diesel's multi-backend connection: a statement both backends share is
//! written once against it. Where the SQL really differs (`ON CONFLICT`, `FOR NO KEY UPDATE`, SQLite's
//! `BEGIN IMMEDIATE`, migrations), the code matches on the variant, and the arms hold only
//! the difference.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::ConnectionError;
use diesel::{Connection, PgConnection, QueryResult, SqliteConnection};

use crate::database_url::{Backend, DatabaseUrl};

/// A connection to PostgreSQL or SQLite.
#[derive(diesel::MultiConnection)]
pub(crate) enum AnyConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `work` in a transaction that will write. On SQLite it begins `IMMEDIATE`, taking the
/// write lock first: a transaction that reads and then writes would otherwise fail at once
/// with SQLITE_BUSY when another connection writes meanwhile (the busy timeout does not cover
/// a lock upgrade). Commits when `work` succeeds, rolls back when it fails, as diesel's own
/// `Connection::transaction` does.
pub(crate) fn write_transaction<R, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<R, E>,
) -> Result<R, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Pg(pg) => AnsiTransactionManager::begin_transaction(pg)?,
        AnyConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
    }
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Checks that the connection answers.
pub(crate) fn ping(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// How a PostgreSQL session bounds its waits: past `timeout`, a statement or a lock wait is
/// cancelled and the request answered 503. `None` lifts the bounds (for migrations).
pub(crate) fn bound_waits(pg: &mut PgConnection, timeout: Option<Duration>) -> QueryResult<()> {
    let ms = timeout.map_or(0, |t| t.as_millis().max(1));
    pg.batch_execute(&format!("SET lock_timeout = {ms}; SET statement_timeout = {ms};"))
}

/// Asks for the server's messages untranslated on this session, where the role may (a
/// superuser, or a role granted `SET ON PARAMETER lc_messages`, PostgreSQL 15+): diesel keeps no
/// SQLSTATE beside the few it turns into kinds, so the failures that only the message tells
/// apart (disk full, timeouts, shutdown; `failure.rs`) are read from a text that is then the
/// server's fixed English for its code, whatever `lc_messages` the role or database has. A
/// role that may not set it is told once in the log; its sessions keep their messages.
fn untranslated_messages(pg: &mut PgConnection) {
    static TOLD: std::sync::Once = std::sync::Once::new();
    if let Err(refused) = pg.batch_execute("SET lc_messages TO 'C'") {
        TOLD.call_once(|| {
            log::warn!(
                "the database role may not set lc_messages ({}): unless the server's messages are \
                 English, a full disk or a timeout will answer 500 instead of 503; \
                 GRANT SET ON PARAMETER lc_messages TO the role",
                one_line(&refused.to_string())
            );
        });
    }
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

/// Opens connections for r2d2, choosing the backend by the URL's scheme so that a connection
/// error says what went wrong (diesel's derived `establish` only says "invalid URL").
pub(crate) struct Manager {
    pub(crate) url: DatabaseUrl,
    pub(crate) connect_timeout: Duration,
    pub(crate) statement_timeout: Duration,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        match self.url.backend() {
            Backend::Postgres => {
                let url = with_client_bounds(
                    self.url.driver_target(),
                    self.connect_timeout,
                    self.statement_timeout,
                );
                let mut conn = PgConnection::establish(&url)?;
                untranslated_messages(&mut conn);
                bound_waits(&mut conn, Some(self.statement_timeout))?;
                Ok(AnyConnection::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.url.driver_target())?;
                // busy_timeout first: the others may already wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                )?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        Ok(ping(conn)?)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        match conn {
            AnyConnection::Pg(c) => c.is_broken(),
            AnyConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

/// Logs a failure to open a connection as one line, at debug level: the request that wanted
/// the connection reports it (a 503, logged with its cause), so the pool need not say it again.
#[derive(Debug)]
pub(crate) struct OneLineErrorHandler;

impl r2d2::HandleError<ConnectError> for OneLineErrorHandler {
    fn handle_error(&self, error: ConnectError) {
        log::debug!("opening a database connection failed: {}", one_line(&error.to_string()));
    }
}

/// Folds a multi-line driver message (libpq's has a second, indented line) into one.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// libpq waits for an unreachable host as long as the OS does; bound it by our timeout.
/// The URL with the client-side bounds libpq knows, each unless the URL sets it: a connect
/// timeout, TCP keepalives, and `tcp_user_timeout`, so that a connection whose peer went
/// silent (a relay or a network that drops everything) fails after the statement timeout
/// plus a margin instead of after the kernel's two hours.
fn with_client_bounds(url: &str, connect_timeout: Duration, statement_timeout: Duration) -> String {
    // libpq's smallest effective connect timeout is 2 s.
    let connect_secs = connect_timeout.as_secs().max(2).to_string();
    let unacknowledged_ms = (statement_timeout + Duration::from_secs(2)).as_millis().to_string();
    let bounds = [
        ("connect_timeout", connect_secs.as_str()),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("keepalives_interval", "2"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", unacknowledged_ms.as_str()),
    ];
    let mut url = url.to_owned();
    for (name, value) in bounds {
        if !url.contains(&format!("{name}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_bounds_are_added_unless_given() {
        let url = with_client_bounds("postgres://db/wo", Duration::from_secs(3), Duration::from_secs(5));
        assert_eq!(
            url,
            "postgres://db/wo?connect_timeout=3&keepalives=1&keepalives_idle=5&keepalives_interval=2\
             &keepalives_count=3&tcp_user_timeout=7000"
        );
        let given = with_client_bounds(
            "postgres://db/wo?sslmode=require&connect_timeout=9&tcp_user_timeout=100",
            Duration::from_millis(500),
            Duration::from_secs(5),
        );
        assert!(
            given.starts_with("postgres://db/wo?sslmode=require&connect_timeout=9&tcp_user_timeout=100&")
        );
        assert_eq!(given.matches("connect_timeout=").count(), 1);
        assert_eq!(given.matches("tcp_user_timeout=").count(), 1);
    }
}
