//! The ports: what the domain needs from the outside world.
//!
//! Each is a `Send + Sync` trait, held as `Arc<dyn …>` so the adapter is chosen at run time.
//! Each method's documentation says which [`Error`] an adapter must return in which case; the
//! in-memory adapters (feature `in-memory`) are the reference behaviour.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::api_key_admin::{ApiKeyLabel, ApiKeyListing, IssuedApiKey};
use crate::attachment::{AttachDecision, Attachment};
use crate::deliver_webhooks::{DeliveryFailure, DeliveryKey, DueDelivery, Settlement};
use crate::error::Error;
use crate::event::{FeedCursor, FeedEvent};
use crate::identity::{ApiKeyId, ApiKeySecret, Principal, TenantId};
use crate::object_storage::{PresignedUpload, StoredObject, UploadRequest};
use crate::paging::PhotoCursor;
use crate::photo::{NewPhoto, ObjectKey, PhotoId, PhotoView};
use crate::webhook::{SubscriptionId, SubscriptionListing, WebhookSecret, WebhookUrl};
use crate::work_order::{WorkOrderId, WorkOrderStatus, WorkOrderView};
use crate::work_order_admin::NewWorkOrder;

/// The store of work orders and their photos.
#[async_trait]
pub trait WorkOrderRepo: Send + Sync {
    /// Records `photo` on its work order, or finds it already recorded. **Atomic**: the
    /// tenant and status check and the insert-or-find happen in one transaction (or one
    /// statement), so that identical calls racing each other record one photo and all answer
    /// with its id.
    ///
    /// An adapter MUST answer as [`decide`](crate::attachment::decide) says, given the work
    /// order's status in `photo.tenant` (read under a lock that keeps it until the insert) and
    /// the photo recorded under `photo.object_key` on it: not found, a retry
    /// ([`Disposition::AlreadyAttached`](crate::Disposition) with the first photo's id, whatever
    /// the status now), closed, a conflict, or a new photo recorded under `photo.photo_id`.
    /// A work order of another tenant is not found, indistinguishably.
    ///
    /// What it stores, the read side MUST give back unchanged: the object key and the CDN URL
    /// byte for byte, the instants to the microsecond (they come truncated to it), the step as
    /// given. `photo.attached_by` is a key of `photo.tenant` that the store issued (the use case
    /// passes the verified caller's), so an adapter may refer to it.
    ///
    /// **The outbox**: when, and only when, it records a new photo, it MUST record
    /// [`Event::photo_attached`](crate::Event::photo_attached) of it in the same transaction, so that [`EventFeed`] gives it
    /// once published by [`EventRelay::publish`]. A retry or a refusal records no event.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached or no
    /// connection is free within its timeout, and [`Error::Internal`] for any other failure.
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error>;

    /// What [`WorkOrderRepo::attach_photo`] would answer for `photo` now, recording nothing:
    /// the use case asks it before reading a new photo's object, so that a missing or closed
    /// work order, a conflict and a retry are answered without touching object storage.
    ///
    /// An adapter MUST answer as [`decide`](crate::attachment::decide) says on what it reads
    /// (no lock is needed: `attach_photo` decides again when it records), MUST NOT write, and
    /// returns the errors of `attach_photo`.
    async fn decide_attach(&self, photo: &NewPhoto) -> Result<AttachDecision, Error>;

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

    /// At most `limit` photos of the work order, ordered by `taken_at` then `photo_id`, and
    /// when `after` is given only those strictly after it in that order. The use case asks for
    /// one more than a page, to know whether another follows: an adapter MUST NOT cap `limit`
    /// at the page size.
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

/// The events feed: each tenant's events in the order they were published.
#[async_trait]
pub trait EventFeed: Send + Sync {
    /// At most `limit` events of `tenant` at positions after `after`, by position. Only
    /// published events (those [`EventRelay::publish`] has given a position) are in the feed;
    /// positions of a tenant are 1, 2, 3, … without gaps, so a consumer that asks after the
    /// last position it saw sees every event once. The use case asks for one more than a page:
    /// an adapter MUST NOT cap `limit`.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached,
    /// [`Error::Internal`] for any other failure.
    async fn events(
        &self,
        tenant: &TenantId,
        after: FeedCursor,
        limit: usize,
    ) -> Result<Vec<FeedEvent>, Error>;
}

/// The relay that publishes the outbox: it gives committed events their positions.
#[async_trait]
pub trait EventRelay: Send + Sync {
    /// Gives every committed event without a position the next positions of its tenant's feed,
    /// and answers how many it published. Relays exclude each other (on one store, several
    /// processes may call it at once): numbering happens after the events' transactions have
    /// committed, one relay at a time, so a position once visible never gets an event before
    /// it. A store whose writes commit in the order they number (one writer) may publish at
    /// once and answer 0 here.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached,
    /// [`Error::Internal`] for any other failure.
    async fn publish(&self) -> Result<usize, Error>;
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

/// The occupancy and waits of a store's connection pool, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolSample {
    /// Connections open.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
    /// The most it may open.
    pub max_size: u32,
    /// Requests that found no idle connection and had to wait (for one to be freed or opened).
    pub waits: u64,
    /// Requests that gave up after the timeout.
    pub timeouts: u64,
    /// How the store grouped attaches into writes, for a store that batches them.
    pub attach_batches: BatchSizes,
}

/// How many photos a store wrote together, batch by batch: a histogram of batch sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSizes {
    /// Batches by size: `counts[i]` holds those of more than `BOUNDS[i - 1]` photos and at
    /// most `BOUNDS[i]` (the last holds every larger one too).
    pub counts: [u64; BatchSizes::BOUNDS.len()],
    /// The photos in all of them.
    pub photos: u64,
}

impl BatchSizes {
    /// The buckets' upper bounds, in photos.
    pub const BOUNDS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// The number of batches.
    pub fn batches(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// A store with a connection pool, as operators watch it. An operational port: it lets the
/// HTTP adapter report on the database adapter's pool without either knowing the other.
pub trait PoolProbe: Send + Sync {
    /// A sample now; cheap, called at every scrape.
    fn sample(&self) -> PoolSample;
}

/// Makes ids for new photos.
pub trait PhotoIdGenerator: Send + Sync {
    /// A fresh, never used id.
    fn next_id(&self) -> PhotoId;
}

/// The operators' side of the key store: issuing, listing and revoking keys.
///
/// A separate port from [`ApiKeyVerifier`]: the key's format and how it is checked are the
/// adapter's, so the adapter also makes new keys.
#[async_trait]
pub trait ApiKeyRegistry: Send + Sync {
    /// Makes a key for `tenant` from a secure random source (at least 128 bits) and stores what
    /// verifying it needs, never the secret itself: the returned key is the only copy.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached or the random
    /// source fails, [`Error::Internal`] for any other failure.
    async fn issue(
        &self,
        tenant: &TenantId,
        label: &ApiKeyLabel,
        at: OffsetDateTime,
    ) -> Result<IssuedApiKey, Error>;

    /// The keys of `tenant`, or of every tenant, by tenant then oldest first.
    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<ApiKeyListing>, Error>;

    /// Marks the key revoked as of `at`, unless it already is (revoking twice changes
    /// nothing). It MUST return `Ok(false)` if no key of any tenant has this id, `Ok(true)`
    /// otherwise; the verifier refuses the key within 30 seconds.
    async fn revoke(&self, id: ApiKeyId, at: OffsetDateTime) -> Result<bool, Error>;
}

/// The operators' side of the work-order store: creating work orders and changing their
/// status.
#[async_trait]
pub trait WorkOrderRegistry: Send + Sync {
    /// Records a new work order. It MUST return `Ok(false)`, changing nothing, if its tenant
    /// already has a work order with its id.
    async fn create(&self, work_order: &NewWorkOrder) -> Result<bool, Error>;

    /// The tenants that have a work order with this id: only `tenant`, if given and it has one.
    async fn tenants_of(&self, id: WorkOrderId, tenant: Option<&TenantId>) -> Result<Vec<TenantId>, Error>;

    /// Sets the work order's status as of `at`. It MUST return `Ok(false)` if `tenant` has no
    /// work order with this id.
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        status: WorkOrderStatus,
        at: OffsetDateTime,
    ) -> Result<bool, Error>;
}

/// Object storage, as the domain needs it: describing an object and presigning an upload.
/// The domain decides what is acceptable; an adapter only talks to its store.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// What is stored under `key`: its size, stored content type, entity tag, SHA-256 when the
    /// store knows it, and its first `first_bytes` bytes (all of them when it is shorter).
    ///
    /// An adapter MUST return `Ok(None)` when there is no object under `key`,
    /// [`Error::Unavailable`] when the store cannot be reached or does not answer within its
    /// timeout (never a wait without end), and [`Error::Internal`] for any other failure (a
    /// refused signature, a missing bucket).
    async fn describe(&self, key: &ObjectKey, first_bytes: usize) -> Result<Option<StoredObject>, Error>;

    /// A URL through which a client without credentials PUTs the object of `upload`, valid
    /// from `upload.signed_at` for `upload.lifetime`, with the headers the PUT must carry.
    ///
    /// An adapter MUST list `Content-Type` (the upload's type) among the headers, and
    /// `Content-Length` when `upload.content_length` is given, and make the store refuse a PUT
    /// whose value of any of them differs; when `upload.sha256` is given, the store MUST
    /// refuse a body with another digest. It MUST return [`Error::Internal`] when it cannot
    /// sign, and [`Error::Unavailable`] when signing needs a store that cannot be reached.
    async fn presign_upload(&self, upload: &UploadRequest) -> Result<PresignedUpload, Error>;
}

/// The store of webhook subscriptions.
#[async_trait]
pub trait WebhookRegistry: Send + Sync {
    /// Records a subscription of `url` to `tenant`'s events published from now on (excluding
    /// relays while it does, so that every event recorded after it is among them), with a new
    /// secret of at least [`WebhookSecret::MIN_BYTES`] from a secure random source, stored only
    /// encrypted; the returned secret is the only copy in clear.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached or the random
    /// source fails, [`Error::Internal`] for any other failure (no encryption key included).
    async fn create(
        &self,
        tenant: &TenantId,
        url: &WebhookUrl,
        at: OffsetDateTime,
    ) -> Result<(SubscriptionId, WebhookSecret), Error>;

    /// The live subscriptions of `tenant`, or of every tenant, by tenant then oldest first,
    /// with their deliveries' counts. Never a secret.
    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<SubscriptionListing>, Error>;

    /// Deletes the subscription as of `at`: no longer listed, nothing more delivered to it.
    /// `Ok(false)` if no live subscription has this id.
    async fn delete(&self, id: SubscriptionId, at: OffsetDateTime) -> Result<bool, Error>;

    /// Makes the subscription's failed deliveries pending again, due at `at`; how many.
    /// `Ok(None)` if no live subscription has this id.
    async fn redeliver(&self, id: SubscriptionId, at: OffsetDateTime) -> Result<Option<u64>, Error>;
}

/// The deliveries waiting to be made: one per published event and subscription of its tenant
/// live when it is published (made by [`EventRelay::publish`] as it publishes). Creating a
/// subscription excludes relays, so every event recorded after the creation reaches it.
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    /// Claims at most `max` pending deliveries due at `now`, of live subscriptions, oldest due
    /// first, and keeps them from every other claim until `now + lease` (so that two workers,
    /// in one process or several, never attempt one delivery at once; after a crash the lease
    /// ends and the delivery is claimed again). Each comes with its attempt's number.
    ///
    /// It MUST return [`Error::Unavailable`] when the store cannot be reached,
    /// [`Error::Internal`] for any other failure (a secret that cannot be decrypted included).
    async fn claim(
        &self,
        now: OffsetDateTime,
        lease: std::time::Duration,
        max: usize,
    ) -> Result<Vec<DueDelivery>, Error>;

    /// Records how an attempt ended, at `now`.
    async fn settle(
        &self,
        key: &DeliveryKey,
        settlement: Settlement,
        now: OffsetDateTime,
    ) -> Result<(), Error>;

    /// When the oldest event still waiting for a delivery occurred, if one does.
    async fn oldest_pending(&self) -> Result<Option<OffsetDateTime>, Error>;
}

/// Posts an event to a subscriber, signed.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Posts `delivery`'s event to its URL, signed with its secret as of `at`. `Ok` only for
    /// a whole 2xx answer within the time allowed; a refused target, a redirect (never
    /// followed), another status, a time-out or a failed connection is a failure.
    async fn send(&self, delivery: &DueDelivery, at: OffsetDateTime) -> Result<(), DeliveryFailure>;
}

/// Resolves a host name to its addresses, to check a webhook's target.
pub trait HostResolver: Send + Sync {
    /// The addresses of `host` (a name, or an address literal, IPv6 in brackets).
    ///
    /// It MUST return [`Error::Unavailable`] when the host does not resolve.
    fn resolve(&self, host: &str, port: u16) -> Result<Vec<std::net::IpAddr>, Error>;
}

/// Randomness for jitter, replaceable in tests.
pub trait JitterSource: Send + Sync {
    /// A number uniform in 0..1.
    fn unit(&self) -> f64;
}
