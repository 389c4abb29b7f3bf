//! A migrated test database with the adapters and the admin use cases every suite sets up
//! first: the one place that says how a suite's ground is laid.

use std::sync::Arc;

use workorder_domain::{
    ApiKeyAdmin, ApiKeyLabel, ApiKeySecret, Principal, SystemClock, TenantId, WorkOrderAdmin, WorkOrderId,
    WorkOrderStatus,
};

use crate::{Database, DatabaseConfig, DieselApiKeyRegistry, DieselWorkOrderRepo};

use super::TestDatabase;

/// The database of a [`TestDatabase`], migrated, with its repository and its admins.
pub struct TestStore {
    /// The database handle, with default settings.
    pub db: Database,
    /// The work-order repository on it.
    pub repo: Arc<DieselWorkOrderRepo>,
    /// Issues keys.
    pub keys: ApiKeyAdmin,
    /// Creates work orders and changes their status.
    pub work_orders: WorkOrderAdmin,
}

impl TestStore {
    /// Connects to `test_db` and migrates it.
    pub fn open(test_db: &TestDatabase) -> Self {
        let db = Database::connect(&DatabaseConfig::new(test_db.url().clone()))
            .expect("connect to the test database");
        db.migrate().expect("migrate the test database");
        let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
        let keys = ApiKeyAdmin::new(Arc::new(DieselApiKeyRegistry::new(db.clone())), Arc::new(SystemClock));
        let work_orders = WorkOrderAdmin::new(repo.clone(), Arc::new(SystemClock));
        Self { db, repo, keys, work_orders }
    }

    /// A key issued in `tenant` under `label`: who it authenticates, and its secret.
    pub async fn principal(&self, tenant: &str, label: &str) -> (Principal, ApiKeySecret) {
        let tenant = TenantId::parse(tenant).expect("a tenant");
        let label = ApiKeyLabel::parse(label).expect("a label");
        let key = self.keys.issue(&tenant, &label).await.expect("issue a key");
        (Principal::new(tenant, key.id), key.secret)
    }

    /// A new work order of `principal`'s tenant, in progress.
    pub async fn work_order(&self, principal: &Principal) -> WorkOrderId {
        self.work_orders
            .create(principal.tenant(), None, WorkOrderStatus::InProgress, None)
            .await
            .expect("create a work order")
    }
}
