//! The conformance suite, run on the in-memory adapters and on an adapter of this test's own
//! (as an embedder would write one, with none of the crate's adapters), and shown to catch
//! the bugs adapters really have: each deliberately broken variant fails at least one rule.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use workorder_domain::attachment::decide;
use workorder_domain::conformance::{self, Harness, ObjectStoreHarness, Unreachable};
use workorder_domain::in_memory::{
    InMemoryApiKeyVerifier, InMemoryObjectStore, InMemoryWorkOrderRepo, block_on,
};
use workorder_domain::{
    ApiKeyId, ApiKeyLabel, ApiKeyRegistry, ApiKeySecret, ApiKeyVerifier, AttachDecision, Attachment,
    DeliveryQueue, Error, Event, EventFeed, EventRelay, FeedCursor, FeedEvent, FeedPosition, NewPhoto,
    ObjectStore, PhotoCursor, PhotoId, PhotoView, PresignedUpload, Principal, RecordedPhoto, TenantId,
    WebhookRegistry, WorkOrderId, WorkOrderReader, WorkOrderRepo, WorkOrderStatus, WorkOrderView,
};

/// Keys for either harness: the in-memory verifier issues, verifies and revokes them.
fn issue(keys: &InMemoryApiKeyVerifier, tenant: &TenantId) -> (ApiKeySecret, Principal) {
    let issued =
        block_on(keys.issue(tenant, &ApiKeyLabel::default(), time::OffsetDateTime::now_utc())).unwrap();
    (issued.secret, Principal::new(tenant.clone(), issued.id))
}

/// The crate's in-memory adapters.
#[derive(Default)]
struct InMemoryHarness {
    repo: Arc<InMemoryWorkOrderRepo>,
    keys: Arc<InMemoryApiKeyVerifier>,
}

impl Harness for InMemoryHarness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        block_on(future)
    }
    fn repo(&self) -> Arc<dyn WorkOrderRepo> {
        self.repo.clone()
    }
    fn reader(&self) -> Arc<dyn WorkOrderReader> {
        self.repo.clone()
    }
    fn verifier(&self) -> Arc<dyn ApiKeyVerifier> {
        self.keys.clone()
    }
    fn feed(&self) -> Arc<dyn EventFeed> {
        self.repo.clone()
    }
    fn relay(&self) -> Arc<dyn EventRelay> {
        self.repo.clone()
    }
    fn webhooks(&self) -> Option<(Arc<dyn WebhookRegistry>, Arc<dyn DeliveryQueue>)> {
        Some((self.repo.clone(), self.repo.clone()))
    }
    fn seed_work_order(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.repo.put_work_order(tenant, id, status);
    }
    fn set_status(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.repo.put_work_order(tenant, id, status);
    }
    fn issue_key(&self, tenant: &TenantId) -> (ApiKeySecret, Principal) {
        issue(&self.keys, tenant)
    }
    fn revoke_key(&self, id: ApiKeyId) {
        self.keys.revoke(id);
    }
    fn unreachable(&self) -> Unreachable {
        let (key, _) = self.issue_key(&TenantId::parse("acme").unwrap());
        let down = InMemoryHarness::default();
        down.repo.set_unavailable(true);
        down.keys.set_unavailable(true);
        Unreachable { repo: down.repo.clone(), reader: down.repo, verifier: down.keys, key }
    }
}

mod in_memory {
    workorder_domain::conformance_tests!(super::InMemoryHarness::default());
}

/// The bugs the suite must catch, each switchable on the toy adapter.
#[derive(Debug, Default, Clone, Copy)]
struct Bugs {
    /// Looks for the key, lets go of the lock, then inserts.
    non_atomic_insert: bool,
    /// Finds work orders and photos by id in any tenant.
    no_tenant_filter: bool,
    /// Pages with `>=` instead of `>` after the cursor.
    inclusive_cursor: bool,
    /// Refuses on a closed status before recognising a retry.
    closed_before_replay: bool,
    /// Reports an unreachable store as an internal failure.
    down_is_internal: bool,
    /// Writes an event for a retry too.
    event_on_retry: bool,
}

type Tables = (HashMap<(TenantId, WorkOrderId), WorkOrderStatus>, Vec<NewPhoto>, Vec<Event>);

/// An embedder's own adapter: two tables behind one lock, deciding with the domain's rule.
#[derive(Default)]
struct Toy {
    bugs: Bugs,
    down: bool,
    tables: Mutex<Tables>,
    keys: Arc<InMemoryApiKeyVerifier>,
}

#[derive(Debug, thiserror::Error)]
#[error("the toy store is down")]
struct Down;

impl Toy {
    fn check(&self) -> Result<(), Error> {
        match (self.down, self.bugs.down_is_internal) {
            (false, _) => Ok(()),
            (true, false) => Err(Error::unavailable(Down)),
            (true, true) => Err(Error::internal(Down)),
        }
    }

    fn in_tenant(&self, tenant: &TenantId, other: &TenantId) -> bool {
        self.bugs.no_tenant_filter || tenant == other
    }

    fn status(&self, tables: &Tables, tenant: &TenantId, id: WorkOrderId) -> Option<WorkOrderStatus> {
        tables.0.iter().find(|((t, w), _)| *w == id && self.in_tenant(tenant, t)).map(|(_, s)| *s)
    }

    fn photos_of<'a>(
        &'a self,
        tables: &'a Tables,
        tenant: &'a TenantId,
        id: WorkOrderId,
    ) -> impl Iterator<Item = &'a NewPhoto> {
        tables.1.iter().filter(move |p| p.work_order_id == id && self.in_tenant(tenant, &p.tenant))
    }
}

#[async_trait]
impl WorkOrderRepo for Toy {
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error> {
        self.check()?;
        let mut tables = self.tables.lock().unwrap();
        let status = self.status(&tables, &photo.tenant, photo.work_order_id);
        if self.bugs.closed_before_replay
            && let Some(status) = status.filter(|s| !s.accepts_photos())
        {
            return Err(Error::WorkOrderClosed(status));
        }
        let recorded = self
            .photos_of(&tables, &photo.tenant, photo.work_order_id)
            .find(|p| p.object_key == photo.object_key)
            .map(RecordedPhoto::from);
        if self.bugs.non_atomic_insert {
            drop(tables);
            std::thread::sleep(Duration::from_millis(20));
            tables = self.tables.lock().unwrap();
        }
        match decide(&photo, status, recorded.as_ref()) {
            AttachDecision::Answer(answer) => {
                if self.bugs.event_on_retry && answer.is_ok() {
                    tables.2.push(Event::photo_attached(&photo));
                }
                answer
            }
            AttachDecision::Record(attachment) => {
                tables.2.push(Event::photo_attached(&photo));
                tables.1.push(photo);
                Ok(attachment)
            }
        }
    }

    async fn decide_attach(&self, photo: &NewPhoto) -> Result<AttachDecision, Error> {
        self.check()?;
        let tables = self.tables.lock().unwrap();
        let status = self.status(&tables, &photo.tenant, photo.work_order_id);
        let recorded = self
            .photos_of(&tables, &photo.tenant, photo.work_order_id)
            .find(|p| p.object_key == photo.object_key)
            .map(RecordedPhoto::from);
        Ok(decide(photo, status, recorded.as_ref()))
    }

    async fn ping(&self) -> Result<(), Error> {
        self.check()
    }
}

#[async_trait]
impl WorkOrderReader for Toy {
    async fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<WorkOrderView, Error> {
        self.check()?;
        let tables = self.tables.lock().unwrap();
        let status = self.status(&tables, tenant, id).ok_or(Error::WorkOrderNotFound)?;
        let now = time::OffsetDateTime::now_utc();
        let photo_count = self.photos_of(&tables, tenant, id).count() as u64;
        Ok(WorkOrderView { id, status, title: None, photo_count, created_at: now, updated_at: now })
    }

    async fn photos(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        after: Option<PhotoCursor>,
        limit: usize,
    ) -> Result<Vec<PhotoView>, Error> {
        self.check()?;
        let tables = self.tables.lock().unwrap();
        self.status(&tables, tenant, id).ok_or(Error::WorkOrderNotFound)?;
        let mut photos: Vec<PhotoView> = self
            .photos_of(&tables, tenant, id)
            .map(PhotoView::from)
            .filter(|p| match after {
                None => true,
                Some(after) if self.bugs.inclusive_cursor => PhotoCursor::after(p) >= after,
                Some(after) => PhotoCursor::after(p) > after,
            })
            .collect();
        photos.sort_by_key(PhotoCursor::after);
        photos.truncate(limit);
        Ok(photos)
    }

    async fn photo(&self, tenant: &TenantId, id: WorkOrderId, photo_id: PhotoId) -> Result<PhotoView, Error> {
        self.check()?;
        let tables = self.tables.lock().unwrap();
        self.status(&tables, tenant, id).ok_or(Error::WorkOrderNotFound)?;
        self.photos_of(&tables, tenant, id)
            .find(|p| p.photo_id == photo_id)
            .map(PhotoView::from)
            .ok_or(Error::PhotoNotFound)
    }
}

#[async_trait]
impl EventFeed for Toy {
    async fn events(
        &self,
        tenant: &TenantId,
        after: FeedCursor,
        limit: usize,
    ) -> Result<Vec<FeedEvent>, Error> {
        self.check()?;
        let tables = self.tables.lock().unwrap();
        let mine = tables.2.iter().filter(|e| &e.tenant == tenant);
        let positioned = mine.enumerate().map(|(i, event)| FeedEvent {
            position: FeedPosition::new(i as u64 + 1).unwrap(),
            event: event.clone(),
        });
        Ok(positioned.filter(|e| FeedCursor::after(e.position) > after).take(limit).collect())
    }
}

#[async_trait]
impl EventRelay for Toy {
    async fn publish(&self) -> Result<usize, Error> {
        self.check().map(|()| 0)
    }
}

#[async_trait]
impl ApiKeyVerifier for Toy {
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error> {
        self.check()?;
        self.keys.verify(presented).await
    }
}

/// The toy adapter under test, with `bugs` switched on.
struct ToyHarness(Arc<Toy>);

impl ToyHarness {
    fn new(bugs: Bugs) -> Self {
        Self(Arc::new(Toy { bugs, ..Toy::default() }))
    }
}

impl Harness for ToyHarness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        block_on(future)
    }
    fn repo(&self) -> Arc<dyn WorkOrderRepo> {
        self.0.clone()
    }
    fn reader(&self) -> Arc<dyn WorkOrderReader> {
        self.0.clone()
    }
    fn verifier(&self) -> Arc<dyn ApiKeyVerifier> {
        self.0.clone()
    }
    fn feed(&self) -> Arc<dyn EventFeed> {
        self.0.clone()
    }
    fn relay(&self) -> Arc<dyn EventRelay> {
        self.0.clone()
    }
    fn seed_work_order(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.0.tables.lock().unwrap().0.insert((tenant.clone(), id), status);
    }
    fn set_status(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        self.seed_work_order(tenant, id, status);
    }
    fn issue_key(&self, tenant: &TenantId) -> (ApiKeySecret, Principal) {
        issue(&self.0.keys, tenant)
    }
    fn revoke_key(&self, id: ApiKeyId) {
        self.0.keys.revoke(id);
    }
    fn unreachable(&self) -> Unreachable {
        let (key, _) = self.issue_key(&TenantId::parse("acme").unwrap());
        let down = Arc::new(Toy { bugs: self.0.bugs, down: true, ..Toy::default() });
        Unreachable { repo: down.clone(), reader: down.clone(), verifier: down, key }
    }
}

mod own_adapter {
    workorder_domain::conformance_tests!(super::ToyHarness::new(super::Bugs::default()));
}

/// `rule` must fail (panic) on the toy adapter with `bugs`.
fn caught(bugs: Bugs, rule: fn(&ToyHarness)) -> bool {
    std::panic::catch_unwind(AssertUnwindSafe(|| rule(&ToyHarness::new(bugs)))).is_err()
}

#[test]
fn a_non_atomic_insert_fails_the_race_rule() {
    let bugs = Bugs { non_atomic_insert: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::attach::racing_identical_attaches_record_one_photo));
}

#[test]
fn a_missing_tenant_filter_fails_the_isolation_rules() {
    let bugs = Bugs { no_tenant_filter: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::attach::a_missing_or_foreign_work_order_is_not_found));
    assert!(caught(
        bugs,
        conformance::read_side::a_work_order_counts_its_photos_and_hides_from_other_tenants
    ));
    assert!(caught(bugs, conformance::read_side::a_photo_is_found_only_on_its_work_order_in_its_tenant));
}

#[test]
fn an_inclusive_cursor_fails_the_paging_rule() {
    let bugs = Bugs { inclusive_cursor: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::read_side::photos_come_by_taken_at_then_id_strictly_after_the_cursor));
}

#[test]
fn checking_closed_before_replay_fails_the_retry_rule() {
    let bugs = Bugs { closed_before_replay: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::attach::a_work_order_that_refuses_photos_still_answers_retries));
}

#[test]
fn reporting_a_down_store_as_internal_fails_the_availability_rule() {
    let bugs = Bugs { down_is_internal: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::availability::an_unreachable_store_is_unavailable_not_internal));
}

/// The in-memory object store, with uploads through its own tickets.
#[derive(Default)]
struct InMemoryObjectStoreHarness(Arc<InMemoryObjectStore>);

impl ObjectStoreHarness for InMemoryObjectStoreHarness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        block_on(future)
    }
    fn store(&self) -> Arc<dyn ObjectStore> {
        self.0.clone()
    }
    fn upload(
        &self,
        ticket: &PresignedUpload,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), String> {
        self.0.upload(&ticket.url, headers, body).map_err(|e| e.to_string())
    }
    fn unreachable(&self) -> Arc<dyn ObjectStore> {
        let down = InMemoryObjectStore::default();
        down.set_unavailable(true);
        Arc::new(down)
    }
}

mod in_memory_object_store {
    workorder_domain::object_store_conformance_tests!(super::InMemoryObjectStoreHarness::default());
}

/// Bugs an object store adapter really has, each switched on alone.
#[derive(Debug, Clone, Copy, Default)]
struct StoreBugs {
    missing_is_an_error: bool,
    all_the_bytes: bool,
    content_type_unsigned: bool,
}

/// The in-memory store behind an adapter with `bugs`.
struct BrokenStore {
    inner: Arc<InMemoryObjectStore>,
    bugs: StoreBugs,
}

#[async_trait]
impl ObjectStore for BrokenStore {
    async fn describe(
        &self,
        key: &workorder_domain::ObjectKey,
        first_bytes: usize,
    ) -> Result<Option<workorder_domain::StoredObject>, Error> {
        let asked = if self.bugs.all_the_bytes { usize::MAX } else { first_bytes };
        match self.inner.describe(key, asked).await? {
            None if self.bugs.missing_is_an_error => Err(Error::internal("HTTP 404")),
            other => Ok(other),
        }
    }

    async fn presign_upload(
        &self,
        upload: &workorder_domain::UploadRequest,
    ) -> Result<PresignedUpload, Error> {
        let mut ticket = self.inner.presign_upload(upload).await?;
        if self.bugs.content_type_unsigned {
            ticket.headers.retain(|(name, _)| name != "Content-Type");
        }
        Ok(ticket)
    }
}

struct BrokenStoreHarness(InMemoryObjectStoreHarness, StoreBugs);

impl ObjectStoreHarness for BrokenStoreHarness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        block_on(future)
    }
    fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::new(BrokenStore { inner: (self.0).0.clone(), bugs: self.1 })
    }
    fn upload(
        &self,
        ticket: &PresignedUpload,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), String> {
        self.0.upload(ticket, headers, body)
    }
    fn unreachable(&self) -> Arc<dyn ObjectStore> {
        self.0.unreachable()
    }
}

fn store_caught(bugs: StoreBugs, rule: fn(&BrokenStoreHarness)) -> bool {
    let harness = BrokenStoreHarness(InMemoryObjectStoreHarness::default(), bugs);
    std::panic::catch_unwind(AssertUnwindSafe(|| rule(&harness))).is_err()
}

#[test]
fn an_object_store_that_reports_a_missing_object_as_an_error_fails_its_rule() {
    let bugs = StoreBugs { missing_is_an_error: true, ..StoreBugs::default() };
    assert!(store_caught(bugs, conformance::object_store::a_missing_object_is_described_as_none));
}

#[test]
fn an_object_store_that_returns_more_bytes_than_asked_fails_its_rule() {
    let bugs = StoreBugs { all_the_bytes: true, ..StoreBugs::default() };
    assert!(store_caught(bugs, conformance::object_store::first_bytes_are_at_most_those_asked));
}

#[test]
fn an_object_store_that_does_not_sign_the_content_type_fails_its_rule() {
    let bugs = StoreBugs { content_type_unsigned: true, ..StoreBugs::default() };
    assert!(store_caught(
        bugs,
        conformance::object_store::a_ticket_lists_its_signed_headers_and_expires_after_its_lifetime
    ));
    // And the rules pass on the same adapter without bugs.
    assert!(!store_caught(
        StoreBugs::default(),
        conformance::object_store::a_missing_object_is_described_as_none
    ));
}

#[test]
fn an_event_for_a_retry_fails_the_outbox_rule() {
    let bugs = Bugs { event_on_retry: true, ..Bugs::default() };
    assert!(caught(bugs, conformance::events::each_new_photo_writes_its_event_and_nothing_else_does));
}
