//! Work orders and their photos in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::webhooks::Webhooks;
use super::{SwitchedOff, lock};
use crate::attachment::{self, AttachDecision, Attachment, RecordedPhoto};
use crate::error::Error;
use crate::event::{Event, FeedCursor, FeedEvent, FeedPosition};
use crate::identity::TenantId;
use crate::paging::PhotoCursor;
use crate::photo::{NewPhoto, ObjectKey, PhotoId, PhotoView};
use crate::ports::{EventFeed, EventRelay, WorkOrderReader, WorkOrderRegistry, WorkOrderRepo};
use crate::work_order::{WorkOrderId, WorkOrderStatus, WorkOrderView};
use crate::work_order_admin::NewWorkOrder;

#[derive(Debug, Clone)]
struct StoredWorkOrder {
    status: WorkOrderStatus,
    title: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(Debug, Default)]
pub(super) struct Tables {
    work_orders: HashMap<(TenantId, WorkOrderId), StoredWorkOrder>,
    photos: HashMap<(TenantId, WorkOrderId, ObjectKey), NewPhoto>,
    /// Each tenant's feed: the mutex makes every attach commit in the order it numbers, so an
    /// event is published (given its position) as it is recorded.
    feeds: HashMap<TenantId, Vec<Event>>,
    pub(super) webhooks: Webhooks,
    unavailable: bool,
}

/// Work orders and photos in a map behind a mutex; the attach holds the lock from the status
/// check to the insert, which makes it atomic.
#[derive(Debug, Default)]
pub struct InMemoryWorkOrderRepo {
    pub(super) store: Mutex<Tables>,
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
    pub fn photos(&self, tenant: &TenantId, id: WorkOrderId) -> Vec<NewPhoto> {
        let store = lock(&self.store);
        store.photos.iter().filter(|((t, w, _), _)| t == tenant && *w == id).map(|(_, p)| p.clone()).collect()
    }

    /// Makes every call fail with [`Error::Unavailable`] (or work again), to test outages.
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.store).unavailable = unavailable;
    }
}

#[async_trait]
impl WorkOrderRepo for InMemoryWorkOrderRepo {
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error> {
        // The lock is held from the look-up to the insert: the attach is atomic.
        let mut store = lock(&self.store);
        match store.decide(&photo)? {
            AttachDecision::Answer(answer) => answer,
            AttachDecision::Record(attachment) => {
                let key = (photo.tenant.clone(), photo.work_order_id, photo.object_key.clone());
                let event = Event::photo_attached(&photo);
                store.webhooks.queue(&event);
                store.feeds.entry(photo.tenant.clone()).or_default().push(event);
                store.photos.insert(key, photo);
                Ok(attachment)
            }
        }
    }

    async fn decide_attach(&self, photo: &NewPhoto) -> Result<AttachDecision, Error> {
        lock(&self.store).decide(photo)
    }

    async fn ping(&self) -> Result<(), Error> {
        lock(&self.store).check()
    }
}

impl Tables {
    pub(super) fn check(&self) -> Result<(), Error> {
        if self.unavailable { Err(Error::unavailable(SwitchedOff)) } else { Ok(()) }
    }

    /// What the attach of `photo` answers on what the tables hold now.
    fn decide(&self, photo: &NewPhoto) -> Result<AttachDecision, Error> {
        self.check()?;
        let status = self.work_orders.get(&(photo.tenant.clone(), photo.work_order_id)).map(|wo| wo.status);
        let key = (photo.tenant.clone(), photo.work_order_id, photo.object_key.clone());
        let recorded = self.photos.get(&key).map(RecordedPhoto::from);
        Ok(attachment::decide(photo, status, recorded.as_ref()))
    }

    fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<&StoredWorkOrder, Error> {
        self.check()?;
        self.work_orders.get(&(tenant.clone(), id)).ok_or(Error::WorkOrderNotFound)
    }

    fn photos_of<'a>(&'a self, tenant: &'a TenantId, id: WorkOrderId) -> impl Iterator<Item = &'a NewPhoto> {
        self.photos.iter().filter(move |((t, w, _), _)| t == tenant && *w == id).map(|(_, p)| p)
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
            .map(PhotoView::from)
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
            .map(PhotoView::from)
            .ok_or(Error::PhotoNotFound)
    }
}

#[async_trait]
impl WorkOrderRegistry for InMemoryWorkOrderRepo {
    async fn create(&self, work_order: &NewWorkOrder) -> Result<bool, Error> {
        let mut store = lock(&self.store);
        store.check()?;
        let key = (work_order.tenant.clone(), work_order.id);
        if store.work_orders.contains_key(&key) {
            return Ok(false);
        }
        store.work_orders.insert(
            key,
            StoredWorkOrder {
                status: work_order.status,
                title: work_order.title.clone(),
                created_at: work_order.created_at,
                updated_at: work_order.created_at,
            },
        );
        Ok(true)
    }

    async fn tenants_of(&self, id: WorkOrderId, tenant: Option<&TenantId>) -> Result<Vec<TenantId>, Error> {
        let store = lock(&self.store);
        store.check()?;
        let mut tenants: Vec<TenantId> = store
            .work_orders
            .keys()
            .filter(|(t, w)| *w == id && tenant.is_none_or(|only| only == t))
            .map(|(t, _)| t.clone())
            .collect();
        tenants.sort();
        Ok(tenants)
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        status: WorkOrderStatus,
        at: OffsetDateTime,
    ) -> Result<bool, Error> {
        let mut store = lock(&self.store);
        store.check()?;
        Ok(match store.work_orders.get_mut(&(tenant.clone(), id)) {
            Some(wo) => {
                wo.status = status;
                wo.updated_at = at;
                true
            }
            None => false,
        })
    }
}

#[async_trait]
impl EventFeed for InMemoryWorkOrderRepo {
    async fn events(
        &self,
        tenant: &TenantId,
        after: FeedCursor,
        limit: usize,
    ) -> Result<Vec<FeedEvent>, Error> {
        let store = lock(&self.store);
        store.check()?;
        let Some(feed) = store.feeds.get(tenant) else { return Ok(Vec::new()) };
        let skip = usize::try_from(after.last_seen()).unwrap_or(usize::MAX);
        Ok(feed
            .iter()
            .enumerate()
            .skip(skip)
            .take(limit)
            .filter_map(|(i, event)| {
                let position = FeedPosition::new(u64::try_from(i).ok()? + 1)?;
                Some(FeedEvent { position, event: event.clone() })
            })
            .collect())
    }
}

#[async_trait]
impl EventRelay for InMemoryWorkOrderRepo {
    /// Nothing to do: an attach publishes its event as it commits, under the lock.
    async fn publish(&self) -> Result<usize, Error> {
        lock(&self.store).check().map(|()| 0)
    }
}
