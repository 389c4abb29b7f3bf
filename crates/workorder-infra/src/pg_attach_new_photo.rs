//! PostgreSQL's attach of a new photo in one round trip, for the common case.
//!
//! The transaction of `attach.rs` costs six round trips (begin, lock and read the work order,
//! look for the key, insert the photo, count it, its event, commit). This single statement does
//! the same for a new photo: it locks the work order's row in the tenant (`FOR NO KEY UPDATE`:
//! the count is raised below, and two sharers upgrading would deadlock), inserts unless the
//! status refuses photos or the key exists (`ON CONFLICT DO NOTHING`), raises the work order's
//! photo count and writes the inserted photo's event to the outbox (data-modifying CTEs over
//! the inserted row), and answers the status with the inserted id. One statement is one transaction, so it is as atomic as the other path. When it
//! inserts nothing (a retry, a conflict, a closed work order), the caller takes the
//! transactional path, which tells those apart. It is a query type of its own, not
//! `sql_query`, so that diesel prepares it once per connection and reuses it.
//!
//! The SQL repeats one rule of the domain, which statuses refuse photos: it is written from
//! [`WorkOrderStatus::refusing_photos`], and the repository suite checks every status on
//! both paths.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use workorder_domain::attachment::decide;
use workorder_domain::{AttachDecision, Attachment, Error, NewPhoto, PhotoAttached, WorkOrderStatus};

use crate::rows::{ObjectColumns, to_utc_timestamp};

/// Attaches `photo` if it is new and its work order accepts it. `None`: nothing was inserted
/// and the work order exists, so the answer needs the transactional path.
pub(crate) fn attach(
    conn: &mut PgConnection,
    photo: &NewPhoto,
) -> QueryResult<Option<Result<Attachment, Error>>> {
    let (work_order_id, photo_id, api_key_id) =
        (photo.work_order_id.to_string(), photo.photo_id.to_string(), photo.attached_by.to_string());
    let statement = AttachInOneStatement {
        tenant: photo.tenant.as_str(),
        work_order_id: &work_order_id,
        photo_id: &photo_id,
        object_key: photo.object_key.as_str(),
        cdn_url: photo.cdn_url.as_str(),
        taken_at: to_utc_timestamp(photo.taken_at.instant()),
        step: photo.step.as_ref().map(|s| s.as_str()),
        created_at: to_utc_timestamp(photo.recorded_at),
        api_key_id: &api_key_id,
        object: ObjectColumns::of(photo.object.as_ref()),
    };
    let rows: Vec<(String, Option<String>)> = statement.load(conn)?;
    let Some((status, inserted)) = rows.into_iter().next() else {
        return Ok(Some(answer(decide(photo, None, None))));
    };
    if inserted.is_none() {
        return Ok(None);
    }
    Ok(Some(match status.parse::<WorkOrderStatus>() {
        Ok(status) => match decide(photo, Some(status), None) {
            AttachDecision::Record(attachment) => Ok(attachment),
            AttachDecision::Answer(_) => {
                Err(Error::internal("the statement recorded a photo the domain refuses"))
            }
        },
        Err(e) => Err(Error::internal(e)),
    }))
}

fn answer(decision: AttachDecision) -> Result<Attachment, Error> {
    match decision {
        AttachDecision::Answer(answer) => answer,
        AttachDecision::Record(_) => {
            Err(Error::internal("a missing work order was judged to accept a photo"))
        }
    }
}

struct AttachInOneStatement<'a> {
    tenant: &'a str,
    work_order_id: &'a str,
    photo_id: &'a str,
    object_key: &'a str,
    cdn_url: &'a str,
    taken_at: time::PrimitiveDateTime,
    step: Option<&'a str>,
    created_at: time::PrimitiveDateTime,
    api_key_id: &'a str,
    object: ObjectColumns,
}

impl QueryId for AttachInOneStatement<'_> {
    type QueryId = AttachInOneStatement<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for AttachInOneStatement<'_> {
    /// The work order's status, and the new photo's id if one was inserted. No row: no such
    /// work order in the tenant.
    type SqlType = (Text, Nullable<Text>);
}

impl RunQueryDsl<PgConnection> for AttachInOneStatement<'_> {}

impl QueryFragment<Pg> for AttachInOneStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH wo AS (SELECT status FROM work_orders WHERE tenant_id = ");
        out.push_bind_param::<Text, _>(self.tenant)?;
        out.push_sql(" AND id = ");
        out.push_bind_param::<Text, _>(self.work_order_id)?;
        out.push_sql(
            " FOR NO KEY UPDATE), ins AS (INSERT INTO photos (tenant_id, id, work_order_id, object_key, cdn_url, \
             taken_at, step, created_at, api_key_id, object_size_bytes, object_content_type, object_etag, \
             object_sha256, object_verified_at) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.tenant)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.photo_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.work_order_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.object_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.cdn_url)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.taken_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.step)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.api_key_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&self.object.object_size_bytes)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.object.object_content_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.object.object_etag)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.object.object_sha256)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&self.object.object_verified_at)?;
        out.push_sql(" FROM wo WHERE wo.status NOT IN (");
        // The statuses are the domain's constants, not input: written as literals, the
        // statement's text is the same on every call and stays prepared.
        for (i, status) in WorkOrderStatus::refusing_photos().enumerate() {
            out.push_sql(if i == 0 { "'" } else { ", '" });
            out.push_sql(status.as_str());
            out.push_sql("'");
        }
        out.push_sql(
            ") ON CONFLICT (tenant_id, work_order_id, object_key) DO NOTHING \
             RETURNING tenant_id, id, created_at), \
             counted AS (UPDATE work_orders SET photo_count = photo_count + 1 WHERE tenant_id = ",
        );
        out.push_bind_param::<Text, _>(self.tenant)?;
        out.push_sql(" AND id = ");
        out.push_bind_param::<Text, _>(self.work_order_id)?;
        out.push_sql(" AND EXISTS (SELECT 1 FROM ins)), ");
        // The outbox, in the same statement: the new photo's event, as
        // `Event::photo_attached` makes it (the photo's id and the instant it was recorded).
        out.push_sql("ev AS (INSERT INTO events (tenant_id, id, event_type, occurred_at, photo_id) SELECT tenant_id, id, '");
        out.push_sql(PhotoAttached::TYPE);
        out.push_sql("', created_at, id FROM ins) SELECT wo.status, (SELECT id FROM ins) FROM wo");
        Ok(())
    }
}
