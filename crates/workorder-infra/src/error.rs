//! The errors of what is not on a request's path: start-up, migrations, pool construction.

use diesel::r2d2;

use crate::connection::one_line;

/// Failures of the operations that are not on a request's path: start-up and migrations.
/// Each prints as one line an operator can act on.
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
}
