//! PostgreSQL's attach of a batch of new photos in one round trip, for the common case.
//!
//! The transaction of `attach.rs` costs six round trips a photo (begin, lock and read the work
//! order, look for the key, insert the photo, count it, its event, commit). This one statement
//! does the same for every new photo of a batch, whatever its size: the photos go in as one
//! array a column (`unnest`), so the text never changes and diesel prepares it once per
//! connection. It locks the batch's work orders in the tenant in key order (`FOR NO KEY
//! UPDATE`, sorted before locking, so two batches never wait on each other in a cycle; the
//! count is raised below, and two sharers upgrading would deadlock), inserts each photo
//! unless its status refuses photos or its key exists (`ON CONFLICT DO NOTHING`, in the
//! batch's order, so of two photos under one key the first is the one inserted), raises each
//! work order's count by its new photos and writes each new photo's event to the outbox
//! (data-modifying CTEs over the inserted rows), and answers, photo by photo, its work order's
//! status and whether it was inserted. One statement is one transaction: the batch commits
//! whole, or not at all. A photo it did not insert (a retry, a conflict, a closed work order)
//! takes the transactional path afterwards, which tells those apart.
//!
//! The SQL repeats one rule of the domain, which statuses refuse photos: it is written from
//! [`WorkOrderStatus::refusing_photos`], and the repository suite checks every status on
//! both paths.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use time::PrimitiveDateTime;
use workorder_domain::{NewPhoto, PhotoAttached, WorkOrderStatus};

use crate::rows::NewPhotoRow;

/// What the statement did with one photo of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No such work order in the tenant.
    NoWorkOrder,
    /// Recorded, on a work order in this status (as stored: the caller parses it).
    Recorded(String),
    /// Not inserted, on an existing work order: the transactional path decides.
    NotRecorded,
}

/// Attaches every photo of `photos` that is new and whose work order accepts it, in one
/// statement; one outcome a photo, in order.
pub(crate) fn attach(conn: &mut PgConnection, photos: &[NewPhoto]) -> QueryResult<Vec<Outcome>> {
    let rows: Vec<NewPhotoRow<'_>> = photos.iter().map(NewPhotoRow::from).collect();
    let statement = AttachBatch::of(&rows);
    let answered: Vec<(Option<String>, bool)> = statement.load(conn)?;
    if answered.len() != photos.len() {
        // One row a photo, by the statement's outer join on its input: anything else is a
        // fault of ours. What the statement recorded is committed; the caller's fallback, photo
        // by photo, answers from that.
        return Err(diesel::result::Error::DeserializationError(
            format!("the batch statement answered {} rows for {} photos", answered.len(), photos.len())
                .into(),
        ));
    }
    Ok(answered
        .into_iter()
        .map(|(status, inserted)| match (status, inserted) {
            (None, _) => Outcome::NoWorkOrder,
            (Some(status), true) => Outcome::Recorded(status),
            (Some(_), false) => Outcome::NotRecorded,
        })
        .collect())
}

/// The batch, a column at a time, as the statement binds it.
struct AttachBatch<'a> {
    tenant_id: Vec<&'a str>,
    work_order_id: Vec<&'a str>,
    id: Vec<&'a str>,
    object_key: Vec<&'a str>,
    cdn_url: Vec<&'a str>,
    taken_at: Vec<PrimitiveDateTime>,
    step: Vec<Option<&'a str>>,
    created_at: Vec<PrimitiveDateTime>,
    api_key_id: Vec<&'a str>,
    object_size_bytes: Vec<Option<i64>>,
    object_content_type: Vec<Option<&'a str>>,
    object_etag: Vec<Option<&'a str>>,
    object_sha256: Vec<Option<&'a str>>,
    object_verified_at: Vec<Option<PrimitiveDateTime>>,
}

impl<'a> AttachBatch<'a> {
    fn of(rows: &'a [NewPhotoRow<'a>]) -> Self {
        Self {
            tenant_id: rows.iter().map(|r| r.tenant_id).collect(),
            work_order_id: rows.iter().map(|r| r.work_order_id.as_str()).collect(),
            id: rows.iter().map(|r| r.id.as_str()).collect(),
            object_key: rows.iter().map(|r| r.object_key).collect(),
            cdn_url: rows.iter().map(|r| r.cdn_url).collect(),
            taken_at: rows.iter().map(|r| r.taken_at).collect(),
            step: rows.iter().map(|r| r.step).collect(),
            created_at: rows.iter().map(|r| r.created_at).collect(),
            api_key_id: rows.iter().map(|r| r.api_key_id.as_str()).collect(),
            object_size_bytes: rows.iter().map(|r| r.object.object_size_bytes).collect(),
            object_content_type: rows.iter().map(|r| r.object.object_content_type.as_deref()).collect(),
            object_etag: rows.iter().map(|r| r.object.object_etag.as_deref()).collect(),
            object_sha256: rows.iter().map(|r| r.object.object_sha256.as_deref()).collect(),
            object_verified_at: rows.iter().map(|r| r.object.object_verified_at).collect(),
        }
    }
}

impl QueryId for AttachBatch<'_> {
    type QueryId = AttachBatch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for AttachBatch<'_> {
    /// A row a photo, in the batch's order: its work order's status (none: no such work order
    /// in the tenant), and whether the photo was inserted.
    type SqlType = (Nullable<Text>, diesel::sql_types::Bool);
}

impl RunQueryDsl<PgConnection> for AttachBatch<'_> {}

/// The photos' columns, in the order of the statement's `unnest`.
const COLUMNS: &str = "tenant_id, work_order_id, id, object_key, cdn_url, taken_at, step, created_at, \
                       api_key_id, object_size_bytes, object_content_type, object_etag, object_sha256, \
                       object_verified_at";

impl QueryFragment<Pg> for AttachBatch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH input AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.work_order_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.object_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.cdn_url)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.taken_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.step)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.api_key_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.object_size_bytes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.object_content_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.object_etag)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.object_sha256)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.object_verified_at)?;
        out.push_sql(") WITH ORDINALITY AS i(");
        out.push_sql(COLUMNS);
        out.push_sql(
            ", n)), \
             wo AS (SELECT tenant_id, id, status FROM work_orders \
             WHERE (tenant_id, id) IN (SELECT tenant_id, work_order_id FROM input) \
             ORDER BY tenant_id, id FOR NO KEY UPDATE), \
             ins AS (INSERT INTO photos (",
        );
        out.push_sql(COLUMNS);
        out.push_sql(") SELECT ");
        for (i, column) in COLUMNS.split(", ").enumerate() {
            out.push_sql(if i == 0 { "i." } else { ", i." });
            out.push_sql(column);
        }
        out.push_sql(
            " FROM input i JOIN wo ON wo.tenant_id = i.tenant_id AND wo.id = i.work_order_id \
             WHERE wo.status NOT IN (",
        );
        // The statuses are the domain's constants, not input: written as literals, the
        // statement's text is the same on every call and stays prepared.
        for (i, status) in WorkOrderStatus::refusing_photos().enumerate() {
            out.push_sql(if i == 0 { "'" } else { ", '" });
            out.push_sql(status.as_str());
            out.push_sql("'");
        }
        out.push_sql(
            ") ORDER BY i.n ON CONFLICT (tenant_id, work_order_id, object_key) DO NOTHING \
             RETURNING tenant_id, id, work_order_id, created_at), \
             counted AS (UPDATE work_orders w SET photo_count = w.photo_count + c.added \
             FROM (SELECT tenant_id, work_order_id, count(*) AS added FROM ins \
             GROUP BY tenant_id, work_order_id) c \
             WHERE w.tenant_id = c.tenant_id AND w.id = c.work_order_id), ",
        );
        // The outbox, in the same statement: each new photo's event, as
        // `Event::photo_attached` makes it (the photo's id and the instant it was recorded).
        out.push_sql("ev AS (INSERT INTO events (tenant_id, id, event_type, occurred_at, photo_id) SELECT tenant_id, id, '");
        out.push_sql(PhotoAttached::TYPE);
        out.push_sql(
            "', created_at, id FROM ins) \
             SELECT wo.status, ins.id IS NOT NULL FROM input i \
             LEFT JOIN wo ON wo.tenant_id = i.tenant_id AND wo.id = i.work_order_id \
             LEFT JOIN ins ON ins.tenant_id = i.tenant_id AND ins.id = i.id ORDER BY i.n",
        );
        Ok(())
    }
}
