//! PostgreSQL's attach in one round trip, for the common case of a new photo.
//!
//! The transaction of `store.rs` costs five round trips (begin, lock and read the work order,
//! look for the key, insert, commit). This single statement does the same for a new photo:
//! it locks the work order's row in the tenant (`FOR SHARE`), inserts unless the status
//! refuses photos or the key exists (`ON CONFLICT DO NOTHING`), and answers the status with
//! the inserted id. One statement is one transaction, so it is as atomic as the other path.
//! When it inserts nothing (a retry, a conflict, a closed work order), the caller takes the
//! transactional path, which tells those apart. It is a query type of its own, not
//! `sql_query`, so that diesel prepares it once per connection and reuses it.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Nullable, Text, Timestamp};
use time::PrimitiveDateTime;

pub(crate) struct AttachInOneStatement<'a> {
    pub(crate) tenant: &'a str,
    pub(crate) work_order_id: &'a str,
    pub(crate) photo_id: &'a str,
    pub(crate) object_key: &'a str,
    pub(crate) cdn_url: &'a str,
    pub(crate) taken_at: PrimitiveDateTime,
    pub(crate) step: Option<&'a str>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) api_key_id: &'a str,
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
            " FOR SHARE), ins AS (INSERT INTO photos (tenant_id, id, work_order_id, object_key, cdn_url, \
             taken_at, step, created_at, api_key_id) SELECT ",
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
        out.push_sql(
            " FROM wo WHERE wo.status NOT IN ('CLOSED', 'CANCELLED') \
             ON CONFLICT (tenant_id, work_order_id, object_key) DO NOTHING RETURNING id) \
             SELECT wo.status, (SELECT id FROM ins) FROM wo",
        );
        Ok(())
    }
}
