//! A batch of attaches on one connection: every photo gets the answer it would have had alone,
//! and the batch pays one commit (and on PostgreSQL, for new photos, one round trip).
//!
//! - SQLite: one write transaction. A batch of several photos is decided whole and written in
//!   one statement a table (`sqlite_attach_batch.rs`); if that fails for a reason other than
//!   the storage's, one photo's data may be the cause, so the transaction is rolled back and a
//!   second one runs each photo in a savepoint of its own, so that a failure of one photo
//!   rolls back that photo only and is its answer. A failure of the storage (it cannot write,
//!   it is locked or out of memory) fails the whole batch, which commits nothing: SQLite may
//!   already have rolled the transaction back.
//! - PostgreSQL: one statement for the batch (`pg_attach_batch.rs`), then the transactional
//!   path, photo by photo, for those it did not record. The statement is one transaction; if
//!   it fails for a reason of the database's (out of reach, cannot write, a timeout), nothing
//!   was committed and every photo gets that answer; for any other reason, one photo's data
//!   may be the cause, so each photo goes alone and gets its own answer.
//!
//! The outer error is a failure of the whole batch, nothing of which was committed; the inner
//! ones are the photos' answers, in order.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use workorder_domain::attachment::decide;
use workorder_domain::{AttachDecision, Attachment, Error, NewPhoto, WorkOrderStatus};

use crate::attach::{attach_alone, attach_in_transaction};
use crate::connection::{AnyConnection, write_transaction};
use crate::failure::{Failure, classify, to_domain};
use crate::pg_attach_batch::{self, Outcome};
use crate::sqlite_attach_batch;

/// Attaches `photos` as the module says.
pub(crate) fn attach_batch(
    conn: &mut AnyConnection,
    photos: &[NewPhoto],
) -> QueryResult<Vec<Result<Attachment, Error>>> {
    match conn {
        AnyConnection::Pg(_) => in_one_statement(conn, photos),
        AnyConnection::Sqlite(_) => in_one_transaction(conn, photos),
    }
}

fn in_one_transaction(
    conn: &mut AnyConnection,
    photos: &[NewPhoto],
) -> QueryResult<Vec<Result<Attachment, Error>>> {
    if let [photo] = photos {
        // Alone, its failure is the transaction's: nothing of it may commit.
        return write_transaction(conn, |conn| Ok(vec![attach_in_transaction(conn, photo)?]));
    }
    // Not in a savepoint: SQLite would copy every page the batch changes into its journal.
    // A failure rolls the whole transaction back instead, and the photos go again one by one.
    match write_transaction(conn, |conn| sqlite_attach_batch::attach(conn, photos)) {
        Err(error) if classify(&error) == Failure::Other => {
            log::debug!("a batch of {} attaches failed, each goes alone: {error}", photos.len());
            write_transaction(conn, |conn| photo_by_photo(conn, photos))
        }
        written => written,
    }
}

/// Each photo in a savepoint of its own, so that its failure rolls back that photo only and
/// is its answer; a failure of the storage fails the batch.
fn photo_by_photo(
    conn: &mut AnyConnection,
    photos: &[NewPhoto],
) -> QueryResult<Vec<Result<Attachment, Error>>> {
    let mut answers = Vec::with_capacity(photos.len());
    for photo in photos {
        let answer = match conn.transaction(|conn| attach_in_transaction(conn, photo)) {
            Ok(answer) => answer,
            Err(error) if classify(&error) == Failure::Other => Err(to_domain(error)),
            Err(error) => return Err(error),
        };
        answers.push(answer);
    }
    Ok(answers)
}

fn in_one_statement(
    conn: &mut AnyConnection,
    photos: &[NewPhoto],
) -> QueryResult<Vec<Result<Attachment, Error>>> {
    let AnyConnection::Pg(pg) = conn else { unreachable!("in_one_statement is PostgreSQL's") };
    let outcomes = match pg_attach_batch::attach(pg, photos) {
        Ok(outcomes) => outcomes,
        Err(error) if photos.len() == 1 || classify(&error) != Failure::Other => return Err(error),
        Err(error) => {
            log::debug!("a batch of {} attaches failed, each goes alone: {error}", photos.len());
            vec![Outcome::NotRecorded; photos.len()]
        }
    };
    // What the statement recorded is committed: from here on each photo's failure is its own.
    Ok(photos
        .iter()
        .zip(outcomes)
        .map(|(photo, outcome)| match outcome {
            Outcome::NoWorkOrder => answer_of(decide(photo, None, None)),
            Outcome::Recorded(status) => recorded(photo, &status),
            Outcome::NotRecorded => {
                attach_alone(conn, photo).unwrap_or_else(|e: DieselError| Err(to_domain(e)))
            }
        })
        .collect())
}

/// The answer for a photo the statement recorded on a work order in `status`.
fn recorded(photo: &NewPhoto, status: &str) -> Result<Attachment, Error> {
    let status = status.parse::<WorkOrderStatus>().map_err(Error::internal)?;
    match decide(photo, Some(status), None) {
        AttachDecision::Record(attachment) => Ok(attachment),
        AttachDecision::Answer(_) => {
            Err(Error::internal("the statement recorded a photo the domain refuses"))
        }
    }
}

fn answer_of(decision: AttachDecision) -> Result<Attachment, Error> {
    match decision {
        AttachDecision::Answer(answer) => answer,
        AttachDecision::Record(_) => {
            Err(Error::internal("a missing work order was judged to accept a photo"))
        }
    }
}
