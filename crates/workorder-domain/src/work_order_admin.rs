//! The operators' use case on work orders: create one, change its status.

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::Error;
use crate::identity::TenantId;
use crate::instant::truncate_to_micros;
use crate::ports::{Clock, WorkOrderRegistry};
use crate::work_order::{WorkOrderId, WorkOrderStatus};

/// A work order to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkOrder {
    /// Its tenant.
    pub tenant: TenantId,
    /// Its id, unique in the tenant.
    pub id: WorkOrderId,
    /// Its status.
    pub status: WorkOrderStatus,
    /// Its title, if any.
    pub title: Option<String>,
    /// When it is created (to the microsecond).
    pub created_at: OffsetDateTime,
}

/// Why an operator's command on work orders failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkOrderAdminError {
    /// The tenant already has a work order with this id.
    #[error("work order {id} already exists in tenant {tenant}")]
    AlreadyExists {
        /// The tenant.
        tenant: TenantId,
        /// The id.
        id: WorkOrderId,
    },
    /// No work order has this id (in the tenant, if one was named).
    #[error("no work order {0}")]
    NotFound(WorkOrderId),
    /// Several tenants have a work order with this id, and none was named.
    #[error("work order {id} exists in several tenants ({}); name its tenant", display_tenants(.tenants))]
    Ambiguous {
        /// The id.
        id: WorkOrderId,
        /// The tenants that have it.
        tenants: Vec<TenantId>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

fn display_tenants(tenants: &[TenantId]) -> String {
    tenants.iter().map(TenantId::as_str).collect::<Vec<_>>().join(", ")
}

/// The operators' use case on work orders.
#[derive(Clone)]
pub struct WorkOrderAdmin {
    registry: Arc<dyn WorkOrderRegistry>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WorkOrderAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkOrderAdmin").finish_non_exhaustive()
    }
}

impl WorkOrderAdmin {
    /// The use case over its ports.
    pub fn new(registry: Arc<dyn WorkOrderRegistry>, clock: Arc<dyn Clock>) -> Self {
        Self { registry, clock }
    }

    /// Creates a work order in `tenant`, under a new random id unless one is given.
    pub async fn create(
        &self,
        tenant: &TenantId,
        id: Option<WorkOrderId>,
        status: WorkOrderStatus,
        title: Option<&str>,
    ) -> Result<WorkOrderId, WorkOrderAdminError> {
        let id = id.unwrap_or_else(|| WorkOrderId::from_uuid(uuid::Uuid::new_v4()));
        let work_order = NewWorkOrder {
            tenant: tenant.clone(),
            id,
            status,
            title: title.map(str::to_owned),
            created_at: truncate_to_micros(self.clock.now()),
        };
        if self.registry.create(&work_order).await? {
            Ok(id)
        } else {
            Err(WorkOrderAdminError::AlreadyExists { tenant: tenant.clone(), id })
        }
    }

    /// Changes a work order's status. Without `tenant`, the id must be in one tenant only.
    pub async fn set_status(
        &self,
        id: WorkOrderId,
        status: WorkOrderStatus,
        tenant: Option<&TenantId>,
    ) -> Result<(), WorkOrderAdminError> {
        let mut tenants = self.registry.tenants_of(id, tenant).await?;
        let tenant = match tenants.len() {
            0 => return Err(WorkOrderAdminError::NotFound(id)),
            1 => tenants.remove(0),
            _ => return Err(WorkOrderAdminError::Ambiguous { id, tenants }),
        };
        let at = truncate_to_micros(self.clock.now());
        if self.registry.set_status(&tenant, id, status, at).await? {
            Ok(())
        } else {
            Err(WorkOrderAdminError::NotFound(id))
        }
    }
}
