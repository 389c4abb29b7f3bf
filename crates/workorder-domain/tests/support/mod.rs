//! What the domain's tests share: one world of in-memory adapters, with the use cases over
//! them, two tenants and a work order in progress.

#![allow(dead_code, reason = "each test file uses part of the world")]
#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;

use time::macros::datetime;
pub(crate) use workorder_domain::in_memory::block_on;
use workorder_domain::in_memory::{InMemoryWorkOrderRepo, ManualClock, SequentialPhotoIds};
use workorder_domain::{
    ApiKeyId, AttachPhoto, AttachPolicy, GetPhoto, ListPhotos, Principal, TenantId, ViewWorkOrder,
    WorkOrderId, WorkOrderStatus,
};

/// The work order in progress of tenant `acme`, in upper case as a client may send it.
pub(crate) const WO: &str = "2489E9AD-2EE2-8E00-8EC9-32D5F69181C0";
/// What the world's clock shows.
pub(crate) const NOW: time::OffsetDateTime = datetime!(2026-04-15 12:00:00 UTC);

pub(crate) struct World {
    pub(crate) repo: Arc<InMemoryWorkOrderRepo>,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) service: AttachPhoto,
    pub(crate) list: ListPhotos,
    pub(crate) view: ViewWorkOrder,
    pub(crate) get: GetPhoto,
    pub(crate) acme: Principal,
    pub(crate) globex: Principal,
    pub(crate) wo: WorkOrderId,
}

pub(crate) fn world_with(policy: AttachPolicy) -> World {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    let clock = Arc::new(ManualClock::new(NOW));
    let service =
        AttachPhoto::new(repo.clone(), clock.clone(), Arc::new(SequentialPhotoIds::default()), policy);
    let acme = Principal::new(TenantId::parse("acme").unwrap(), ApiKeyId::new(ulid::Ulid(1)));
    let globex = Principal::new(TenantId::parse("globex").unwrap(), ApiKeyId::new(ulid::Ulid(2)));
    let wo = id(WO);
    repo.put_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    World {
        list: ListPhotos::new(repo.clone()),
        view: ViewWorkOrder::new(repo.clone()),
        get: GetPhoto::new(repo.clone()),
        repo,
        clock,
        service,
        acme,
        globex,
        wo,
    }
}

pub(crate) fn world() -> World {
    world_with(AttachPolicy::default())
}

pub(crate) fn id(raw: &str) -> WorkOrderId {
    WorkOrderId::parse(raw).unwrap()
}
