//! What the HTTP tests share: the application over in-memory adapters, with two tenants'
//! keys and a work order in progress.

#![allow(dead_code, reason = "each test file uses part of the world")]
#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;

pub(crate) mod http;

use workorder_domain::in_memory::{InMemoryApiKeyVerifier, InMemoryObjectStore, InMemoryWorkOrderRepo};
use workorder_domain::{
    ApiKeyId, AttachPolicy, ObjectPolicy, Principal, SystemClock, TenantId, UlidPhotoIds, WorkOrderId,
    WorkOrderRepo, WorkOrderStatus,
};
use workorder_http::{AppState, AuthFailureLimit, ObjectStorage, Ports};

/// The work order in progress of tenant `acme`, in upper case as a client may send it.
pub(crate) const WO: &str = "2489E9AD-2EE2-8E00-8EC9-32D5F69181C0";
/// A key of tenant `acme`.
pub(crate) const KEY: &str = "acme-key";
/// A key of tenant `globex`.
pub(crate) const GLOBEX_KEY: &str = "globex-key";

pub(crate) struct World {
    pub(crate) repo: Arc<InMemoryWorkOrderRepo>,
    pub(crate) verifier: Arc<InMemoryApiKeyVerifier>,
    pub(crate) state: AppState,
}

/// The world, attaching through `repo` (a wrapper of `in_memory`, or it) under `policy`.
pub(crate) fn world_with(
    repo: Arc<dyn WorkOrderRepo>,
    in_memory: Arc<InMemoryWorkOrderRepo>,
    policy: AttachPolicy,
) -> World {
    world_from(repo, in_memory, policy, None)
}

/// The world with object storage in `objects` under `policy`.
pub(crate) fn world_with_storage(objects: Arc<InMemoryObjectStore>, policy: ObjectPolicy) -> World {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    world_from(repo.clone(), repo, AttachPolicy::default(), Some(ObjectStorage { store: objects, policy }))
}

fn world_from(
    repo: Arc<dyn WorkOrderRepo>,
    in_memory: Arc<InMemoryWorkOrderRepo>,
    policy: AttachPolicy,
    object_storage: Option<ObjectStorage>,
) -> World {
    let verifier = Arc::new(InMemoryApiKeyVerifier::default());
    let acme = TenantId::parse("acme").unwrap();
    verifier.add_key(KEY, Principal::new(acme.clone(), ApiKeyId::new(ulid::Ulid(1))));
    verifier.add_key(
        GLOBEX_KEY,
        Principal::new(TenantId::parse("globex").unwrap(), ApiKeyId::new(ulid::Ulid(2))),
    );
    in_memory.put_work_order(&acme, WorkOrderId::parse(WO).unwrap(), WorkOrderStatus::InProgress);
    let ports = Ports {
        repo,
        reader: in_memory.clone(),
        feed: in_memory.clone(),
        verifier: verifier.clone(),
        clock: Arc::new(SystemClock),
        photo_ids: Arc::new(UlidPhotoIds),
        pool: None,
        object_storage,
    };
    let state = AppState::new(ports, policy, AuthFailureLimit::default());
    World { repo: in_memory, verifier, state }
}

pub(crate) fn world() -> World {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    world_with(repo.clone(), repo, AttachPolicy::default())
}
