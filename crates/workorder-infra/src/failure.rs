//! How a database failure becomes a domain error, by what the database reported rather than
//! by the wording of its message where the driver lets us:
//!
//! - storage that cannot write (disk full, a read-only file or database, an I/O error, a
//!   standby after a failover) is [`Error::Unavailable`] with a [`StorageCannotWrite`]
//!   source, so the database handle can say "not ready" until writes work again;
//! - the database out of reach, a lock held past its timeout, a statement cancelled by its
//!   timeout, a server shutting down: [`Error::Unavailable`];
//! - anything else: [`Error::Internal`].
//!
//! SQLite: diesel keeps only `sqlite3_errmsg`, but for the result codes that matter here that
//! text is SQLite's own constant for the code (`sqlite3ErrStr`), the same in every build and
//! locale; [`SQLITE_CODES`] is that table. PostgreSQL: diesel turns the SQLSTATEs it knows into
//! kinds (`25006` read-only transaction, class `08` and any error that left the connection
//! bad), which decide first. It keeps no other SQLSTATE, so for disk full (`53100`), I/O
//! errors (`58030`), timeouts (`57014`, `55P03`) and start-up or shut-down (`57P03`,
//! `57P01`, which also close the connection) the English message is read: each session asks
//! for untranslated messages (`connection.rs`), so that text is the server's constant for the
//! code under any `lc_messages`, where the role may set it. docs/reliability.md says so.

use std::sync::Arc;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use workorder_domain::Error;

/// What a failure means for the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The storage refuses writes; reads may still work.
    CannotWrite,
    /// The database is out of reach or busy past a timeout: retry later.
    Unreachable,
    /// A fault a retry will not fix.
    Other,
}

/// The storage refused a write. Kept as the source of [`Error::Unavailable`] so that the
/// database handle can tell it from a busy or unreachable database.
#[derive(Debug, thiserror::Error)]
#[error("the storage cannot write: {0}")]
pub(crate) struct StorageCannotWrite(#[source] pub(crate) Arc<DieselError>);

/// SQLite's text for each result code that means "cannot write" or "out of reach", as
/// `sqlite3ErrStr` gives it (sqlite3.c, `aMsg`), with the code it stands for.
const SQLITE_CODES: [(&str, i32, Failure); 7] = [
    ("database or disk is full", 13, Failure::CannotWrite),
    ("attempt to write a readonly database", 8, Failure::CannotWrite),
    ("disk I/O error", 10, Failure::CannotWrite),
    ("unable to open database file", 14, Failure::CannotWrite),
    ("database is locked", 5, Failure::Unreachable),
    ("database table is locked", 6, Failure::Unreachable),
    ("out of memory", 7, Failure::Unreachable),
];

/// PostgreSQL's English messages for the SQLSTATEs diesel does not keep (see the module).
const POSTGRES_FALLBACK: [(&str, Failure); 10] = [
    ("could not extend file", Failure::CannotWrite),
    ("No space left on device", Failure::CannotWrite),
    ("could not write to file", Failure::CannotWrite),
    ("terminating connection", Failure::Unreachable),
    ("server closed the connection", Failure::Unreachable),
    ("no connection to the server", Failure::Unreachable),
    ("the database system is shutting down", Failure::Unreachable),
    ("the database system is starting up", Failure::Unreachable),
    ("could not connect", Failure::Unreachable),
    // lock_timeout and statement_timeout: the wait was bounded, retry later.
    ("canceling statement due to", Failure::Unreachable),
];

/// What `error` means, as the module says.
pub(crate) fn classify(error: &DieselError) -> Failure {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => Failure::CannotWrite,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => Failure::Unreachable,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            SQLITE_CODES
                .iter()
                .find(|(text, _, _)| message == *text)
                .map(|(_, _, failure)| *failure)
                .or_else(|| {
                    POSTGRES_FALLBACK.iter().find(|(needle, _)| message.contains(needle)).map(|(_, f)| *f)
                })
                .unwrap_or(Failure::Other)
        }
        _ => Failure::Other,
    }
}

/// Maps a diesel error to the domain's, as the module says.
pub(crate) fn to_domain(error: DieselError) -> Error {
    shared_to_domain(classify(&error), Arc::new(error))
}

/// One failure of a whole batch, as the domain error of each of its `photos`: every photo
/// of the batch gets the same meaning and the same cause.
pub(crate) fn to_domain_each(error: DieselError, photos: usize) -> impl Iterator<Item = Error> {
    let (failure, error) = (classify(&error), Arc::new(error));
    (0..photos).map(move |_| shared_to_domain(failure, error.clone()))
}

fn shared_to_domain(failure: Failure, error: Arc<DieselError>) -> Error {
    match failure {
        Failure::CannotWrite => Error::unavailable(StorageCannotWrite(error)),
        Failure::Unreachable => Error::unavailable(error),
        Failure::Other => Error::internal(error),
    }
}

/// Whether a domain error came from storage that cannot write.
pub(crate) fn is_cannot_write(error: &Error) -> bool {
    match error {
        Error::Unavailable(source) => source.downcast_ref::<StorageCannotWrite>().is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn sqlite_texts_are_matched_whole_as_the_codes_they_stand_for() {
        let full = database_error(DatabaseErrorKind::Unknown, "database or disk is full");
        assert_eq!(classify(&full), Failure::CannotWrite);
        assert!(is_cannot_write(&to_domain(full)));
        let readonly = database_error(DatabaseErrorKind::Unknown, "attempt to write a readonly database");
        assert_eq!(classify(&readonly), Failure::CannotWrite);
        let busy = database_error(DatabaseErrorKind::Unknown, "database is locked");
        assert_eq!(classify(&busy), Failure::Unreachable);
        assert!(!is_cannot_write(&to_domain(busy)));
        // A message that merely mentions a code's words is not that code.
        let other = database_error(DatabaseErrorKind::Unknown, "no such column: disk I/O error");
        assert_eq!(classify(&other), Failure::Other);
    }

    #[test]
    fn postgres_kinds_decide_before_any_text() {
        let standby = database_error(DatabaseErrorKind::ReadOnlyTransaction, "n'importe quel texte");
        assert_eq!(classify(&standby), Failure::CannotWrite);
        let gone = database_error(DatabaseErrorKind::ClosedConnection, "connexion perdue");
        assert_eq!(classify(&gone), Failure::Unreachable);
        let unique = database_error(DatabaseErrorKind::UniqueViolation, "database or disk is full");
        assert_eq!(classify(&unique), Failure::Other, "a constraint is never an outage");
        assert_eq!(classify(&DieselError::NotFound), Failure::Other);
    }
}
