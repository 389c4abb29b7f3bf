//! How a database failure becomes a domain error: the database being out of reach (or SQLite's
//! lock held past the busy timeout) is [`Error::Unavailable`], a 503 the client may retry;
//! anything else is [`Error::Internal`].

use diesel::result::DatabaseErrorKind;
use workorder_domain::Error;

/// Maps a diesel error to the domain's, as the module says.
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
