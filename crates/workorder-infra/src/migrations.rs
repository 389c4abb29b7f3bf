//! The schema's migrations, embedded per backend, and how several servers starting at once
//! migrate one database without stepping on each other.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use workorder_domain::BoxError;

use crate::connection::{AnyConnection, bound_waits};
use crate::database::Database;
use crate::error::InfraError;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The advisory lock the PostgreSQL migrator holds; any number, the same in every server.
const MIGRATION_LOCK: i64 = 7_262_001;

impl Database {
    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, InfraError> {
        let mut conn = self.connection()?;
        match &mut *conn {
            AnyConnection::Pg(pg) => {
                // Several servers may start at once on one PostgreSQL: one migrates, the others
                // wait for it and then find nothing to do. A migration may take longer than a
                // request may: no bounds on waits while it runs.
                bound_waits(pg, None)?;
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(pg)?;
                let applied = applied_names(pg.run_pending_migrations(POSTGRES_MIGRATIONS));
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(pg)?;
                bound_waits(pg, Some(self.statement_timeout))?;
                applied
            }
            // SQLite has no advisory lock; its write lock does the same: the migrator that takes
            // it first applies everything, the others wait on the busy timeout and then find
            // nothing to do (6 processes started at once on a fresh file: 10 of 60 failed
            // with "table already exists" before). Each migration runs in a savepoint inside.
            AnyConnection::Sqlite(sqlite) => applied_names(sqlite.immediate_transaction(|conn| {
                let applied = conn.run_pending_migrations(SQLITE_MIGRATIONS)?;
                Ok::<_, BoxError>(applied.iter().map(ToString::to_string).collect::<Vec<_>>())
            })),
        }
    }

    /// The newest applied migration, if any.
    pub fn schema_version(&self) -> Result<Option<String>, InfraError> {
        let mut conn = self.connection()?;
        let applied = match &mut *conn {
            AnyConnection::Pg(pg) => pg.applied_migrations(),
            AnyConnection::Sqlite(sqlite) => sqlite.applied_migrations(),
        };
        Ok(applied.map_err(InfraError::Migration)?.iter().map(ToString::to_string).max())
    }
}

fn applied_names<V: ToString>(applied: Result<Vec<V>, BoxError>) -> Result<Vec<String>, InfraError> {
    Ok(applied.map_err(InfraError::Migration)?.iter().map(ToString::to_string).collect())
}
