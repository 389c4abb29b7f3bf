//! The ViewWorkOrder use case: a work order's summary.

use std::sync::Arc;

use crate::error::Error;
use crate::identity::Principal;
use crate::ports::WorkOrderReader;
use crate::work_order::{WorkOrderId, WorkOrderView};

/// The ViewWorkOrder use case.
#[derive(Clone)]
pub struct ViewWorkOrder {
    reader: Arc<dyn WorkOrderReader>,
}

impl std::fmt::Debug for ViewWorkOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewWorkOrder").finish_non_exhaustive()
    }
}

impl ViewWorkOrder {
    /// The use case over its port.
    pub fn new(reader: Arc<dyn WorkOrderReader>) -> Self {
        Self { reader }
    }

    /// The work order, for `principal`'s tenant.
    ///
    /// Returns [`Error::WorkOrderNotFound`] (also for another tenant's work order).
    pub async fn view(&self, principal: &Principal, id: WorkOrderId) -> Result<WorkOrderView, Error> {
        self.reader.work_order(principal.tenant(), id).await
    }
}
