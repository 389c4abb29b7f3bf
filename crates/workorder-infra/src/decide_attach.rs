//! The attach's decision without the attach: what the store holds for a photo, read in one
//! statement on either backend (the work order's status joined with the photo under the key),
//! and [`workorder_domain::attachment::decide`] on it. Nothing is locked or written: the use
//! case asks this before reading a new photo's object, and the attach decides again when it
//! records.

use diesel::prelude::*;
use time::PrimitiveDateTime;
use workorder_domain::attachment::decide;
use workorder_domain::{AttachDecision, Error, NewPhoto, WorkOrderStatus};

use crate::connection::AnyConnection;
use crate::rows::RecordedPhotoRow;
use crate::schema::{photos, work_orders};

/// The decision for `photo`. The outer error is the database's; the inner one a fault of ours
/// in what it holds.
pub(crate) fn decide_attach(
    conn: &mut AnyConnection,
    photo: &NewPhoto,
) -> QueryResult<Result<AttachDecision, Error>> {
    let work_order_id = photo.work_order_id.to_string();
    let on_key = photos::tenant_id
        .eq(work_orders::tenant_id)
        .and(photos::work_order_id.eq(work_orders::id))
        .and(photos::object_key.eq(photo.object_key.as_str()));
    type Found = (String, Option<String>, Option<String>, Option<PrimitiveDateTime>, Option<String>);
    let found: Option<Found> = work_orders::table
        .left_join(photos::table.on(on_key))
        .filter(work_orders::tenant_id.eq(photo.tenant.as_str()))
        .filter(work_orders::id.eq(&work_order_id))
        .select((
            work_orders::status,
            photos::id.nullable(),
            photos::cdn_url.nullable(),
            photos::taken_at.nullable(),
            photos::step.nullable(),
        ))
        .get_result(conn)
        .optional()?;
    let Some((status, id, cdn_url, taken_at, step)) = found else {
        return Ok(Ok(decide(photo, None, None)));
    };
    // The join found a photo exactly when its non-null columns are there.
    let recorded = match (id, cdn_url, taken_at) {
        (Some(id), Some(cdn_url), Some(taken_at)) => Some(RecordedPhotoRow { id, cdn_url, taken_at, step }),
        _ => None,
    };
    let status = match status.parse::<WorkOrderStatus>() {
        Ok(status) => status,
        Err(e) => return Ok(Err(Error::internal(e))),
    };
    Ok(match recorded.map(RecordedPhotoRow::into_recorded).transpose() {
        Ok(recorded) => Ok(decide(photo, Some(status), recorded.as_ref())),
        Err(e) => Err(e),
    })
}
