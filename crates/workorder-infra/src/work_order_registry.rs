//! The operators' side of the work-order store on diesel: create work orders, change their
//! status.

use async_trait::async_trait;
use diesel::prelude::*;
use time::OffsetDateTime;
use workorder_domain::{Error, NewWorkOrder, TenantId, WorkOrderId, WorkOrderRegistry, WorkOrderStatus};

use crate::connection::AnyConnection;
use crate::failure::to_domain;
use crate::repo::DieselWorkOrderRepo;
use crate::rows::{WorkOrderRow, to_utc_timestamp};
use crate::schema::work_orders;

#[async_trait]
impl WorkOrderRegistry for DieselWorkOrderRepo {
    async fn create(&self, work_order: &NewWorkOrder) -> Result<bool, Error> {
        let at = to_utc_timestamp(work_order.created_at);
        let row = WorkOrderRow {
            tenant_id: work_order.tenant.to_string(),
            id: work_order.id.to_string(),
            status: work_order.status.as_str().to_owned(),
            title: work_order.title.clone(),
            created_at: at,
            updated_at: at,
        };
        let inserted = self
            .database()
            .run_write(move |conn| insert_unless_present(conn, &row).map_err(to_domain))
            .await?;
        Ok(inserted == 1)
    }

    async fn tenants_of(&self, id: WorkOrderId, tenant: Option<&TenantId>) -> Result<Vec<TenantId>, Error> {
        let (id, tenant) = (id.to_string(), tenant.map(TenantId::to_string));
        let tenants: Vec<String> = self
            .database()
            .run(move |conn| {
                let mut query = work_orders::table
                    .filter(work_orders::id.eq(id))
                    .select(work_orders::tenant_id)
                    .into_boxed();
                if let Some(tenant) = tenant {
                    query = query.filter(work_orders::tenant_id.eq(tenant));
                }
                query.order(work_orders::tenant_id).load(conn).map_err(to_domain)
            })
            .await?;
        tenants.iter().map(|t| TenantId::parse(t).map_err(Error::internal)).collect()
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        status: WorkOrderStatus,
        at: OffsetDateTime,
    ) -> Result<bool, Error> {
        let (tenant, id, at) = (tenant.to_string(), id.to_string(), to_utc_timestamp(at));
        let updated = self
            .database()
            .run_write(move |conn| {
                diesel::update(work_orders::table.find((tenant, id)))
                    .set((work_orders::status.eq(status.as_str()), work_orders::updated_at.eq(at)))
                    .execute(conn)
                    .map_err(to_domain)
            })
            .await?;
        Ok(updated == 1)
    }
}

/// Inserts unless the tenant has a work order with the same id; the number inserted.
fn insert_unless_present(conn: &mut AnyConnection, row: &WorkOrderRow) -> QueryResult<usize> {
    let insert = diesel::insert_into(work_orders::table).values(row);
    let key = (work_orders::tenant_id, work_orders::id);
    // The same statement on both; `ON CONFLICT` does not go through the multi-backend.
    match conn {
        AnyConnection::Pg(pg) => insert.on_conflict(key).do_nothing().execute(pg),
        AnyConnection::Sqlite(sqlite) => insert.on_conflict(key).do_nothing().execute(sqlite),
    }
}
