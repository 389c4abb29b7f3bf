//! In-memory adapters of every port, faithful to the ports' contracts (the attach is atomic),
//! for embedders' tests and ours. Enabled by the `in-memory` feature.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::Error;
use crate::identity::{ApiKeyId, ApiKeySecret, Principal, TenantId};
use crate::list_photos::PhotoCursor;
use crate::photo::{CdnUrl, NewPhoto, ObjectKey, PhotoId, PhotoView, Step, TakenAt};
use crate::ports::{
    ApiKeyVerifier, Attachment, Clock, Disposition, PhotoIdGenerator, WorkOrderReader, WorkOrderRepo,
};
use crate::work_order::{WorkOrderId, WorkOrderStatus, WorkOrderView};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps half-updated (each update is one
    // insert), so the data is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A photo as the in-memory store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    /// Its id.
    pub photo_id: PhotoId,
    /// Its work order.
    pub work_order_id: WorkOrderId,
    /// Its key in MinIO.
    pub object_key: ObjectKey,
    /// Its CDN URL.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// Its step.
    pub step: Option<Step>,
    /// The key that attached it.
    pub attached_by: ApiKeyId,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct StoredWorkOrder {
    status: WorkOrderStatus,
    title: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Store {
    work_orders: HashMap<(TenantId, WorkOrderId), StoredWorkOrder>,
    photos: HashMap<(TenantId, WorkOrderId, ObjectKey), StoredPhoto>,
    unavailable: bool,
}

/// Work orders and photos in a map behind a mutex; the attach holds the lock from the status
/// check to the insert, which makes it atomic.
#[derive(Debug, Default)]
pub struct InMemoryWorkOrderRepo {
    store: Mutex<Store>,
}

impl InMemoryWorkOrderRepo {
    /// Adds a work order, or changes the status of an existing one.
    pub fn put_work_order(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus) {
        let now = OffsetDateTime::now_utc();
        let mut store = lock(&self.store);
        let entry = store.work_orders.entry((tenant.clone(), id)).or_insert(StoredWorkOrder {
            status,
            title: None,
            created_at: now,
            updated_at: now,
        });
        entry.status = status;
        entry.updated_at = now;
    }

    /// Sets a work order's title.
    pub fn set_title(&self, tenant: &TenantId, id: WorkOrderId, title: Option<&str>) {
        if let Some(wo) = lock(&self.store).work_orders.get_mut(&(tenant.clone(), id)) {
            wo.title = title.map(str::to_owned);
        }
    }

    /// The photos of a work order, in no particular order.
    pub fn photos(&self, tenant: &TenantId, id: WorkOrderId) -> Vec<StoredPhoto> {
        let store = lock(&self.store);
        store.photos.iter().filter(|((t, w, _), _)| t == tenant && *w == id).map(|(_, p)| p.clone()).collect()
    }

    /// Makes every call fail with [`Error::Unavailable`] (or work again), to test outages.
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.store).unavailable = unavailable;
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the in-memory store was switched off")]
struct SwitchedOff;

#[async_trait]
impl WorkOrderRepo for InMemoryWorkOrderRepo {
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error> {
        let mut store = lock(&self.store);
        if store.unavailable {
            return Err(Error::unavailable(SwitchedOff));
        }
        let status = store
            .work_orders
            .get(&(photo.tenant.clone(), photo.work_order_id))
            .ok_or(Error::WorkOrderNotFound)?
            .status;
        let key = (photo.tenant.clone(), photo.work_order_id, photo.object_key.clone());
        let existing = store.photos.get(&key);
        if let Some(existing) = existing
            && photo.same_data_as(&existing.cdn_url, existing.taken_at, existing.step.as_ref())
        {
            return Ok(Attachment {
                photo_id: existing.photo_id,
                status,
                disposition: Disposition::AlreadyAttached,
            });
        }
        if !status.accepts_photos() {
            return Err(Error::WorkOrderClosed(status));
        }
        if existing.is_some() {
            return Err(Error::PhotoConflict);
        }
        store.photos.insert(
            key,
            StoredPhoto {
                photo_id: photo.photo_id,
                work_order_id: photo.work_order_id,
                object_key: photo.object_key,
                cdn_url: photo.cdn_url,
                taken_at: photo.taken_at,
                step: photo.step,
                attached_by: photo.attached_by,
                recorded_at: photo.recorded_at,
            },
        );
        Ok(Attachment { photo_id: photo.photo_id, status, disposition: Disposition::Created })
    }

    async fn ping(&self) -> Result<(), Error> {
        if lock(&self.store).unavailable { Err(Error::unavailable(SwitchedOff)) } else { Ok(()) }
    }
}

impl Store {
    fn check(&self) -> Result<(), Error> {
        if self.unavailable { Err(Error::unavailable(SwitchedOff)) } else { Ok(()) }
    }

    fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<&StoredWorkOrder, Error> {
        self.check()?;
        self.work_orders.get(&(tenant.clone(), id)).ok_or(Error::WorkOrderNotFound)
    }

    fn photos_of<'a>(
        &'a self,
        tenant: &'a TenantId,
        id: WorkOrderId,
    ) -> impl Iterator<Item = &'a StoredPhoto> {
        self.photos.iter().filter(move |((t, w, _), _)| t == tenant && *w == id).map(|(_, p)| p)
    }
}

impl StoredPhoto {
    fn view(&self) -> PhotoView {
        PhotoView {
            photo_id: self.photo_id,
            object_key: self.object_key.clone(),
            cdn_url: self.cdn_url.clone(),
            taken_at: self.taken_at,
            step: self.step.clone(),
            created_at: self.recorded_at,
        }
    }
}

#[async_trait]
impl WorkOrderReader for InMemoryWorkOrderRepo {
    async fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<WorkOrderView, Error> {
        let store = lock(&self.store);
        let wo = store.work_order(tenant, id)?;
        Ok(WorkOrderView {
            id,
            status: wo.status,
            title: wo.title.clone(),
            photo_count: store.photos_of(tenant, id).count() as u64,
            created_at: wo.created_at,
            updated_at: wo.updated_at,
        })
    }

    async fn photos(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        after: Option<PhotoCursor>,
        limit: usize,
    ) -> Result<Vec<PhotoView>, Error> {
        let store = lock(&self.store);
        store.work_order(tenant, id)?;
        let mut photos: Vec<PhotoView> = store
            .photos_of(tenant, id)
            .map(StoredPhoto::view)
            .filter(|p| after.is_none_or(|after| PhotoCursor::after(p) > after))
            .collect();
        photos.sort_by_key(PhotoCursor::after);
        photos.truncate(limit);
        Ok(photos)
    }

    async fn photo(&self, tenant: &TenantId, id: WorkOrderId, photo_id: PhotoId) -> Result<PhotoView, Error> {
        let store = lock(&self.store);
        store.work_order(tenant, id)?;
        store
            .photos_of(tenant, id)
            .find(|p| p.photo_id == photo_id)
            .map(StoredPhoto::view)
            .ok_or(Error::PhotoNotFound)
    }
}

#[derive(Debug)]
struct KnownKey {
    secret: String,
    principal: Principal,
    revoked: bool,
}

/// API keys in memory, compared in constant time; a revocation takes effect at once.
#[derive(Debug, Default)]
pub struct InMemoryApiKeyVerifier {
    keys: Mutex<Vec<KnownKey>>,
}

impl InMemoryApiKeyVerifier {
    /// Registers `secret` as a key of `principal`.
    pub fn add_key(&self, secret: impl Into<String>, principal: Principal) {
        lock(&self.keys).push(KnownKey { secret: secret.into(), principal, revoked: false });
    }

    /// Revokes the key with this id.
    pub fn revoke(&self, key_id: ApiKeyId) {
        for key in lock(&self.keys).iter_mut().filter(|k| k.principal.key_id() == key_id) {
            key.revoked = true;
        }
    }
}

#[async_trait]
impl ApiKeyVerifier for InMemoryApiKeyVerifier {
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error> {
        let keys = lock(&self.keys);
        // Every key is compared, so the time taken does not tell which one nearly matched.
        let mut found = None;
        for key in keys.iter() {
            if presented.matches(&key.secret) && !key.revoked {
                found = Some(key.principal.clone());
            }
        }
        found.ok_or(Error::Unauthenticated)
    }
}

/// A clock that shows the time it is set to.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self(Mutex::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        *lock(&self.0) = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *lock(&self.0)
    }
}

/// Photo ids from a counter, so tests can predict them.
#[derive(Debug, Default)]
pub struct SequentialPhotoIds(Mutex<u128>);

impl PhotoIdGenerator for SequentialPhotoIds {
    fn next_id(&self) -> PhotoId {
        let mut next = lock(&self.0);
        *next += 1;
        PhotoId::new(ulid::Ulid(*next))
    }
}
