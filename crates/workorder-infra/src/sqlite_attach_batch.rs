//! SQLite's attach of a batch of photos in a few statements, for the common case.
//!
//! Photo by photo, the transaction of `attach.rs` costs five statements a photo (read the
//! work order, look for the key, insert the photo, count it, its event), each in a savepoint
//! of its own in a batch. Here the batch runs inside the caller's write transaction, which on
//! SQLite excludes every other writer from its `BEGIN IMMEDIATE` to its commit: what the batch
//! reads stays true until it commits, so the domain can decide every photo first, in the
//! batch's order, and the batch then writes what was decided in one statement a table: its new
//! photos, one count update a work order, their events.
//!
//! Each work order is read once, and each key looked up once, with cached statements; a key
//! recorded earlier in the batch is known without a look-up, so of 32 identical attaches the
//! first is recorded and the 31 others are its replays, as they would be one after another.
//!
//! Any error of the database aborts the batch with nothing of it written (the caller rolls its
//! transaction back and falls back to the photo-by-photo path, which gives each photo its own
//! answer); the domain's answers (no such work order, closed, conflict) are the photos' own.

use std::collections::HashMap;

use diesel::prelude::*;
use workorder_domain::attachment::decide;
use workorder_domain::{AttachDecision, Attachment, Error, Event, NewPhoto, RecordedPhoto, WorkOrderStatus};

use crate::attach::{count_photos, find_recorded, lock_work_order};
use crate::connection::AnyConnection;
use crate::outbox;
use crate::rows::NewPhotoRow;
use crate::schema::photos;

/// A photo's key on its work order: its tenant, its work order, its object key.
type Key<'a> = (&'a str, &'a str, &'a str);

/// Attaches `photos` inside the caller's write transaction, as the module says; one answer a
/// photo, in order.
pub(crate) fn attach(
    conn: &mut AnyConnection,
    photos: &[NewPhoto],
) -> QueryResult<Vec<Result<Attachment, Error>>> {
    let work_order_ids: Vec<String> = photos.iter().map(|p| p.work_order_id.to_string()).collect();
    // The work orders' statuses as stored, and what is recorded under each key: read once.
    let mut statuses: HashMap<(&str, &str), Option<String>> = HashMap::new();
    let mut recorded: HashMap<Key<'_>, Option<RecordedPhoto>> = HashMap::new();
    let mut answers = Vec::with_capacity(photos.len());
    let mut new = Vec::new();
    for (photo, work_order_id) in photos.iter().zip(&work_order_ids) {
        let tenant = photo.tenant.as_str();
        let status = match statuses.get(&(tenant, work_order_id.as_str())) {
            Some(status) => status.clone(),
            None => {
                let status = lock_work_order(conn, tenant, work_order_id)?;
                statuses.insert((tenant, work_order_id), status.clone());
                status
            }
        };
        let status = match status.map(|s| s.parse::<WorkOrderStatus>()).transpose() {
            Ok(status) => status,
            Err(e) => {
                answers.push(Err(Error::internal(e)));
                continue;
            }
        };
        let key = (tenant, work_order_id.as_str(), photo.object_key.as_str());
        let found = match recorded.get(&key) {
            Some(found) => found.clone(),
            None => match find_recorded(conn, tenant, work_order_id, photo)? {
                Ok(found) => {
                    recorded.insert(key, found.clone());
                    found
                }
                Err(e) => {
                    answers.push(Err(e));
                    continue;
                }
            },
        };
        match decide(photo, status, found.as_ref()) {
            AttachDecision::Answer(answer) => answers.push(answer),
            AttachDecision::Record(attachment) => {
                recorded.insert(key, Some(RecordedPhoto::from(photo)));
                new.push((photo, work_order_id.as_str()));
                answers.push(Ok(attachment));
            }
        }
    }
    if !new.is_empty() {
        record(conn, &new)?;
    }
    Ok(answers)
}

/// Writes the batch's new photos, raises their work orders' counts and writes their events.
fn record(conn: &mut AnyConnection, new: &[(&NewPhoto, &str)]) -> QueryResult<()> {
    let rows: Vec<NewPhotoRow<'_>> = new.iter().map(|(photo, _)| NewPhotoRow::from(*photo)).collect();
    // No `ON CONFLICT`: every key was looked up under the write lock, so a conflict here is a
    // fault, and its error sends the batch to the photo-by-photo path.
    let insert = diesel::insert_into(photos::table).values(&rows);
    let inserted = match conn {
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
        AnyConnection::Pg(pg) => insert.execute(pg)?,
    };
    if inserted != rows.len() {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("the batch inserted {inserted} photos of {}", rows.len()).into(),
        ));
    }
    // In the order the work orders first appear in the batch, as the photos were decided.
    let mut added: Vec<((&str, &str), i64)> = Vec::new();
    for (photo, work_order_id) in new {
        let work_order = (photo.tenant.as_str(), *work_order_id);
        match added.iter_mut().find(|(w, _)| *w == work_order) {
            Some((_, n)) => *n += 1,
            None => added.push((work_order, 1)),
        }
    }
    for ((tenant, work_order_id), n) in added {
        count_photos(conn, tenant, work_order_id, n)?;
    }
    let events: Vec<Event> = new.iter().map(|(photo, _)| Event::photo_attached(photo)).collect();
    outbox::record_all(conn, &events)
}
