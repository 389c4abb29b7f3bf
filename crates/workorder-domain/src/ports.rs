//! The ports: what the domain needs from the outside world.
//!
//! Each is a `Send + Sync` trait, held as `Arc<dyn …>` so the adapter is chosen at run time.
//! Each method's documentation says which [`Error`] an adapter must return in which case; the
//! in-memory adapters (feature `in-memory`) are the reference behaviour.

use async_trait::async_trait;
use time::OffsetDateTime;
use ulid::Ulid;

use crate::error::Error;
use crate::identity::{ApiKeySecret, Principal, TenantId};
use crate::list_photos::PhotoCursor;
use crate::photo::{NewPhoto, PhotoId, PhotoView};
use crate::work_order::{WorkOrderId, WorkOrderStatus, WorkOrderView};

/// Whether an attach recorded a new photo or found the same one already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// The photo was recorded now.
    Created,
    /// The same photo (same key, same data) was already attached: a retry. Nothing was written.
    AlreadyAttached,
}

/// What the store answers to an attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment {
    /// The photo's id: the new one, or the first one for a retry.
    pub photo_id: PhotoId,
    /// The work order's status, as read in the same transaction.
    pub status: WorkOrderStatus,
    /// Created, or already attached.
    pub disposition: Disposition,
}

/// The store of work orders and their photos.
#[async_trait]
pub trait WorkOrderRepo: Send + Sync {
    /// Records `photo` on its work order, or finds it already recorded. **Atomic**: the
    /// tenant and status check and the insert-or-find happen in one transaction (or one
    /// statement), so that identical calls racing each other record one photo and all answer
    /// with its id.
    ///
    /// In this order, an adapter MUST return:
    /// - [`Error::WorkOrderNotFound`] if no work order `photo.work_order_id` exists in
    ///   `photo.tenant` (one in another tenant is not found, indistinguishably);
    /// - `Ok` with [`Disposition::AlreadyAttached`] and the recorded photo's id if a photo
    ///   with the same `object_key` is on the work order with the same data
    ///   ([`NewPhoto::same_data_as`]), whatever the work order's status now: a retry changes
    ///   nothing, so it is answered as the first call was;
    /// - [`Error::WorkOrderClosed`] if the work order's status does not
    ///   [accept photos](WorkOrderStatus::accepts_photos);
    /// - [`Error::PhotoConflict`] if a photo with the same `object_key` is on the work order
    ///   with other data;
    /// - otherwise record it under `photo.photo_id` and return [`Disposition::Created`].
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached or no
    /// connection is free within its timeout, and [`Error::Internal`] for any other failure.
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error>;

    /// Checks that the store answers, for readiness probes.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached.
    async fn ping(&self) -> Result<(), Error>;
}

/// The read side of the store: work orders and their photos as clients see them.
///
/// A separate port from [`WorkOrderRepo`], so a service that only attaches photos need not
/// implement it. Every method is scoped to a tenant; another tenant's work order is not found.
#[async_trait]
pub trait WorkOrderReader: Send + Sync {
    /// The work order with its photo count.
    ///
    /// An adapter MUST return [`Error::WorkOrderNotFound`] if there is no such work order in
    /// `tenant`, [`Error::Unavailable`] when the store cannot be reached, [`Error::Internal`]
    /// for any other failure.
    async fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<WorkOrderView, Error>;

    /// At most `limit` photos of the work order, ordered by `taken_at` then `photo_id`,
    /// starting after `after` when given.
    ///
    /// An adapter MUST return [`Error::WorkOrderNotFound`] if there is no such work order in
    /// `tenant` (an empty list means a work order without photos), and the errors of
    /// [`WorkOrderReader::work_order`] otherwise.
    async fn photos(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        after: Option<PhotoCursor>,
        limit: usize,
    ) -> Result<Vec<PhotoView>, Error>;

    /// One photo of the work order.
    ///
    /// An adapter MUST return [`Error::WorkOrderNotFound`] if there is no such work order in
    /// `tenant`, then [`Error::PhotoNotFound`] if the work order has no such photo, and the
    /// errors of [`WorkOrderReader::work_order`] otherwise.
    async fn photo(&self, tenant: &TenantId, id: WorkOrderId, photo_id: PhotoId) -> Result<PhotoView, Error>;
}

/// Turns a presented API key into the principal it stands for.
#[async_trait]
pub trait ApiKeyVerifier: Send + Sync {
    /// Verifies `presented`, comparing secrets in constant time.
    ///
    /// An adapter MUST return [`Error::Unauthenticated`] if the key is unknown, malformed or
    /// revoked (a revocation takes effect within 30 seconds at most), [`Error::Unavailable`]
    /// if the key store cannot be reached, and [`Error::Internal`] for any other failure.
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error>;
}

/// The time of day, replaceable in tests.
///
/// Synchronous, like [`PhotoIdGenerator`], unlike the other ports: it never waits on I/O, and
/// an async method would cost an allocation per call through `async_trait`.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Makes ids for new photos.
pub trait PhotoIdGenerator: Send + Sync {
    /// A fresh, never used id.
    fn next_id(&self) -> PhotoId;
}

/// Random ULIDs: time-ordered and unique without coordination between servers.
#[derive(Debug, Clone, Copy, Default)]
pub struct UlidPhotoIds;

impl PhotoIdGenerator for UlidPhotoIds {
    fn next_id(&self) -> PhotoId {
        PhotoId::new(Ulid::generate())
    }
}
