//! The domain's conformance suite, run on the diesel adapters over a fresh SQLite file and a
//! fresh PostgreSQL database per rule. Nothing here but the harness: the rules are the
//! domain's.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use workorder_domain::conformance::{Harness, Unreachable};
use workorder_domain::{
    ApiKeyAdmin, ApiKeyId, ApiKeyLabel, ApiKeySecret, ApiKeyVerifier, DeliveryQueue, EventFeed, EventRelay,
    Principal, SystemClock, TenantId, WebhookRegistry, WorkOrderAdmin, WorkOrderId, WorkOrderReader,
    WorkOrderRepo, WorkOrderStatus,
};
use workorder_infra::testing::{TestDatabase, unreachable_database};
use workorder_infra::{
    Database, DatabaseConfig, DieselApiKeyRegistry, DieselApiKeyVerifier, DieselDeliveryQueue,
    DieselWebhookRegistry, DieselWorkOrderRepo, KeyCacheTtl, SecretsKey,
};

struct DieselHarness {
    runtime: tokio::runtime::Runtime,
    test_db: TestDatabase,
    repo: Arc<DieselWorkOrderRepo>,
    webhooks: Arc<DieselWebhookRegistry>,
    deliveries: Arc<DieselDeliveryQueue>,
    verifier: Arc<DieselApiKeyVerifier>,
    keys: ApiKeyAdmin,
    work_orders: WorkOrderAdmin,
}

impl DieselHarness {
    fn new(test_db: TestDatabase) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let db = Database::connect(&DatabaseConfig::new(test_db.url().clone())).unwrap();
        db.migrate().unwrap();
        let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
        // No cache: a revocation is seen at once, which the 30 s rule allows.
        let verifier =
            Arc::new(DieselApiKeyVerifier::new(db.clone(), KeyCacheTtl::new(Duration::ZERO).unwrap()));
        let secrets = SecretsKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let webhooks = Arc::new(DieselWebhookRegistry::new(db.clone(), Some(secrets.clone())));
        let deliveries = Arc::new(DieselDeliveryQueue::new(db.clone(), secrets));
        let keys = ApiKeyAdmin::new(Arc::new(DieselApiKeyRegistry::new(db)), Arc::new(SystemClock));
        let work_orders = WorkOrderAdmin::new(repo.clone(), Arc::new(SystemClock));
        Self { runtime, test_db, repo, webhooks, deliveries, verifier, keys, work_orders }
    }

    fn sqlite() -> Self {
        Self::new(TestDatabase::sqlite())
    }

    /// `None` (said loudly) only where no PostgreSQL can be had (see `testing::postgres_admin_url`).
    fn postgres() -> Option<Self> {
        TestDatabase::postgres().map(Self::new)
    }
}

impl Harness for DieselHarness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
    fn repo(&self) -> Arc<dyn WorkOrderRepo> {
        self.repo.clone()
    }
    fn reader(&self) -> Arc<dyn WorkOrderReader> {
        self.repo.clone()
    }
    fn verifier(&self) -> Arc<dyn ApiKeyVerifier> {
        self.verifier.clone()
    }
    fn feed(&self) -> Arc<dyn EventFeed> {
        self.repo.clone()
    }
    fn relay(&self) -> Arc<dyn EventRelay> {
        self.repo.clone()
    }
    fn webhooks(&self) -> Option<(Arc<dyn WebhookRegistry>, Arc<dyn DeliveryQueue>)> {
        Some((self.webhooks.clone(), self.deliveries.clone()))
    }
    fn seed_work_order(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.block_on(self.work_orders.create(tenant, Some(id), status, None)).unwrap();
    }
    fn set_status(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.block_on(self.work_orders.set_status(id, status, Some(tenant))).unwrap();
    }
    fn issue_key(&self, tenant: &TenantId) -> (ApiKeySecret, Principal) {
        let key = self.block_on(self.keys.issue(tenant, &ApiKeyLabel::default())).unwrap();
        (key.secret, Principal::new(tenant.clone(), key.id))
    }
    fn revoke_key(&self, id: ApiKeyId) {
        self.block_on(self.keys.revoke(id)).unwrap();
    }
    fn unreachable(&self) -> Unreachable {
        let (key, _) = self.issue_key(&TenantId::parse("acme").unwrap());
        let db = unreachable_database(self.test_db.url().backend());
        let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
        let verifier = Arc::new(DieselApiKeyVerifier::new(db, KeyCacheTtl::new(Duration::ZERO).unwrap()));
        Unreachable { repo: repo.clone(), reader: repo, verifier, key }
    }
}

mod sqlite {
    workorder_domain::conformance_tests!(super::DieselHarness::sqlite());
}

mod postgres {
    workorder_domain::conformance_tests!(optional super::DieselHarness::postgres());
}
