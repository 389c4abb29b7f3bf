//! The attach in SQL, one photo at a time: lock the work order, fetch what is recorded under
//! the photo's key, let the domain decide ([`workorder_domain::attachment::decide`]), insert
//! when it says so, with the photo's event in the outbox. Batches (`attach_batch.rs`) run it
//! for each photo inside their transaction, or for the photos PostgreSQL's one statement did
//! not record.

use diesel::prelude::*;
use workorder_domain::attachment::decide;
use workorder_domain::{AttachDecision, Attachment, Error, Event, NewPhoto, RecordedPhoto, WorkOrderStatus};

use crate::connection::{AnyConnection, write_transaction};
use crate::outbox;
use crate::rows::{NewPhotoRow, RecordedPhotoRow};
use crate::schema::{photos, work_orders};

/// Attaches `photo` in a transaction of its own, as [`workorder_domain::WorkOrderRepo::attach_photo`]
/// says. The outer error is the database's; the inner one is the domain's answer.
pub(crate) fn attach_alone(
    conn: &mut AnyConnection,
    photo: &NewPhoto,
) -> QueryResult<Result<Attachment, Error>> {
    write_transaction(conn, |conn| attach_in_transaction(conn, photo))
}

/// Attaches `photo` inside the caller's write transaction.
pub(crate) fn attach_in_transaction(
    conn: &mut AnyConnection,
    photo: &NewPhoto,
) -> QueryResult<Result<Attachment, Error>> {
    // Every statement names the work order by its text; it is made once.
    let work_order_id = photo.work_order_id.to_string();
    let (tenant, work_order_id) = (photo.tenant.as_str(), work_order_id.as_str());
    let status =
        match lock_work_order(conn, tenant, work_order_id)?.map(|s| s.parse::<WorkOrderStatus>()).transpose()
        {
            Ok(status) => status,
            Err(e) => return Ok(Err(Error::internal(e))),
        };
    let recorded = match find_recorded(conn, tenant, work_order_id, photo)? {
        Ok(recorded) => recorded,
        Err(e) => return Ok(Err(e)),
    };
    let attachment = match decide(photo, status, recorded.as_ref()) {
        AttachDecision::Answer(answer) => return Ok(answer),
        AttachDecision::Record(attachment) => attachment,
    };
    let inserted = insert_photo(conn, photo)?;
    if inserted == 1 {
        count_photos(conn, tenant, work_order_id, 1)?;
        outbox::record(conn, &Event::photo_attached(photo))?;
        return Ok(Ok(attachment));
    }
    // A racing transaction recorded the same key after our look-up and has committed (the
    // insert waited for it): decide again, on its photo.
    Ok(match find_recorded(conn, tenant, work_order_id, photo)? {
        Ok(Some(recorded)) => match decide(photo, status, Some(&recorded)) {
            AttachDecision::Answer(answer) => answer,
            AttachDecision::Record(_) => Err(Error::internal("a recorded photo was judged new")),
        },
        Ok(None) => Err(Error::internal("insert skipped but no photo under the key")),
        Err(e) => Err(e),
    })
}

// The look-ups by a key read with `get_result`, not `first`: the key admits one row at most,
// and `first`'s `LIMIT ?` is a bound value SQLite's planner reads, so SQLite prepares the
// statement again each time it is bound (a tenth of the writer's CPU under load).

/// The work order's status, read under a lock that keeps a concurrent status change out
/// until the transaction ends: `FOR NO KEY UPDATE` on PostgreSQL (the photo count is raised
/// later in the transaction; sharers that both upgrade would deadlock); on SQLite the
/// immediate transaction already excludes other writers.
pub(crate) fn lock_work_order(
    conn: &mut AnyConnection,
    tenant: &str,
    work_order_id: &str,
) -> QueryResult<Option<String>> {
    let query = work_orders::table.find((tenant, work_order_id)).select(work_orders::status);
    match conn {
        AnyConnection::Pg(pg) => query.for_no_key_update().get_result(pg).optional(),
        AnyConnection::Sqlite(sqlite) => query.get_result(sqlite).optional(),
    }
}

/// Raises the work order's photo count by the `added` photos just inserted.
pub(crate) fn count_photos(
    conn: &mut AnyConnection,
    tenant: &str,
    work_order_id: &str,
    added: i64,
) -> QueryResult<()> {
    diesel::update(work_orders::table.find((tenant, work_order_id)))
        .set(work_orders::photo_count.eq(work_orders::photo_count + added))
        .execute(conn)
        .map(drop)
}

/// The photo recorded under `photo`'s key on its work order, if any.
pub(crate) fn find_recorded(
    conn: &mut AnyConnection,
    tenant: &str,
    work_order_id: &str,
    photo: &NewPhoto,
) -> QueryResult<Result<Option<RecordedPhoto>, Error>> {
    let row = photos::table
        .filter(photos::tenant_id.eq(tenant))
        .filter(photos::work_order_id.eq(work_order_id))
        .filter(photos::object_key.eq(photo.object_key.as_str()))
        .select(RecordedPhotoRow::as_select())
        .get_result(conn)
        .optional()?;
    Ok(row.map(RecordedPhotoRow::into_recorded).transpose())
}

/// Inserts the photo unless one is recorded under its key; the number inserted (0 or 1).
fn insert_photo(conn: &mut AnyConnection, photo: &NewPhoto) -> QueryResult<usize> {
    let row = NewPhotoRow::from(photo);
    let insert = diesel::insert_into(photos::table).values(&row);
    let key = (photos::tenant_id, photos::work_order_id, photos::object_key);
    // The same statement on both; `ON CONFLICT` does not go through the multi-backend.
    match conn {
        AnyConnection::Pg(pg) => insert.on_conflict(key).do_nothing().execute(pg),
        AnyConnection::Sqlite(sqlite) => insert.on_conflict(key).do_nothing().execute(sqlite),
    }
}
