//! The read side's statements: a work order with its photo count, a page of its photos, one
//! photo. Each is scoped to the tenant; `None` means no such work order in it.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::connection::AnyConnection;
use crate::rows::{PhotoRow, WorkOrderRow};
use crate::schema::{photos, work_orders};

/// The work order and its photo count (kept on the row by the attach, so this costs the same
/// whatever the count).
pub(crate) fn work_order(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
) -> QueryResult<Option<(WorkOrderRow, i64)>> {
    work_orders::table
        .find((tenant, id))
        .select((WorkOrderRow::as_select(), work_orders::photo_count))
        .get_result(conn)
        .optional()
}

/// At most `limit` photos after `after` (takenAt, id), in that order.
pub(crate) fn photos(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
    after: Option<(PrimitiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Option<Vec<PhotoRow>>> {
    if !work_order_exists(conn, tenant, id)? {
        return Ok(None);
    }
    let mut query = photos::table
        .filter(photos::tenant_id.eq(tenant))
        .filter(photos::work_order_id.eq(id))
        .select(PhotoRow::as_select())
        .into_boxed();
    if let Some((taken_at, photo_id)) = after {
        // A row-value comparison, which both planners use as a range of the index (tenant,
        // work order, taken_at, id): the scan starts just after the cursor, however deep,
        // and however many photos share its instant. diesel has no row values: the SQL is
        // written here, with the values bound. The `OR` form it replaced was a filter over
        // every photo before the cursor (EXPLAIN: 19,922 rows removed on the last page of
        // 20,000).
        query = query.filter(
            diesel::dsl::sql::<Bool>("(photos.taken_at, photos.id) > (")
                .bind::<Timestamp, _>(taken_at)
                .sql(", ")
                .bind::<Text, _>(photo_id)
                .sql(")"),
        );
    }
    query.order((photos::taken_at, photos::id)).limit(limit).load(conn).map(Some)
}

/// The photo, if it is on the work order.
pub(crate) fn photo(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
    photo_id: &str,
) -> QueryResult<Option<Option<PhotoRow>>> {
    if !work_order_exists(conn, tenant, id)? {
        return Ok(None);
    }
    photos::table
        .find((tenant, photo_id))
        .filter(photos::work_order_id.eq(id))
        .select(PhotoRow::as_select())
        .get_result(conn)
        .optional()
        .map(Some)
}

fn work_order_exists(conn: &mut AnyConnection, tenant: &str, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(work_orders::table.find((tenant, id)))).get_result(conn)
}
