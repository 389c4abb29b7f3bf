//! Attach photos to field-service work orders.
//!
//! This crate is the heart of the product: the [`AttachPhoto`] use case and the read side
//! ([`ViewWorkOrder`], [`ListPhotos`], [`GetPhoto`]), the events feed ([`ReadEventFeed`], over
//! the outbox every attach writes to: [`EventFeed`], [`EventRelay`]), the operators' use cases
//! ([`ApiKeyAdmin`], [`WorkOrderAdmin`]), the value types that carry the
//! contract's rules, the ports through which it reaches the outside world ([`WorkOrderRepo`],
//! [`WorkOrderReader`], [`ApiKeyVerifier`], [`ApiKeyRegistry`], [`WorkOrderRegistry`], [`Clock`],
//! [`PhotoIdGenerator`], [`ObjectStore`]), the rules of photo objects ([`object_storage`],
//! [`IssueUploadTicket`]) and the one
//! [`Error`] type every caller maps from. It depends on no framework, runtime or I/O crate, so a
//! service embeds it with adapters of its own; the HTTP service is only one of its users.
//!
//! ```
//! # #[cfg(feature = "in-memory")] {
//! use std::sync::Arc;
//! use workorder_domain::{AttachPhoto, AttachPolicy, PhotoFields, SystemClock, UlidPhotoIds, WorkOrderId};
//! use workorder_domain::in_memory::InMemoryWorkOrderRepo;
//!
//! let repo = Arc::new(InMemoryWorkOrderRepo::default());
//! let service = AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default());
//! let work_order = WorkOrderId::parse("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0").unwrap();
//! let command = service.command(
//!     work_order,
//!     PhotoFields {
//!         minio_object_key: Some("wo/2489e9ad/front.jpg"),
//!         cdn_url: Some("https://cdn.example.com/wo/2489e9ad/front.jpg"),
//!         taken_at: Some("2026-04-15T12:00:00Z"),
//!         step: Some("before"),
//!     },
//! );
//! assert!(command.is_ok());
//! # }
//! ```

/// The macro the ports are written with: an adapter's `impl` needs the same.
pub use async_trait::async_trait;
/// The crates whose types the domain's signatures use, so an embedder's versions match.
pub use {time, ulid};

mod api_key_admin;
mod attach_photo;
mod attach_policy;
pub mod attachment;
mod body_input;
mod deliver_webhooks;
mod error;
mod event;
mod event_feed;
mod get_photo;
mod identity;
mod instant;
mod list_photos;
pub mod object_storage;
mod paging;
mod photo;
mod ports;
mod system;
mod ulid_id;
mod upload_ticket;
mod view_work_order;
mod webhook;
mod webhook_admin;
#[cfg(feature = "serde")]
pub mod wire;
mod work_order;
mod work_order_admin;

/// docs/embedding.md, whose Rust snippets run as doctests so the guide cannot drift from the
/// crate (the conformance macro's snippet is `ignore`d: it needs a harness, and
/// `tests/conformance.rs` runs exactly that).
#[cfg(all(doctest, feature = "in-memory", feature = "serde"))]
#[doc = include_str!("../../../docs/embedding.md")]
mod embedding_guide {}

#[cfg(feature = "in-memory")]
pub mod in_memory;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use api_key_admin::{
    ApiKeyAdmin, ApiKeyAdminError, ApiKeyLabel, ApiKeyListing, InvalidApiKeyLabel, IssuedApiKey,
};
pub use attach_photo::{
    AttachPhoto, AttachPhotoCommand, AttachPhotoOutcome, AttachPolicy, CdnHostPolicy, InvalidCdnHost,
    PhotoFields,
};
pub use attachment::{AttachDecision, Attachment, Disposition, RecordedPhoto};
pub use body_input::{BodyProblem, FieldInput, PhotoInput};
pub use deliver_webhooks::{
    DeliverWebhooks, DeliveryFailure, DeliveryKey, DeliveryReport, DueDelivery, Settlement,
};
pub use error::{BoxError, Error, ErrorKind, Field, FieldError, Origin};
pub use event::{Event, EventData, EventId, FeedCursor, FeedEvent, FeedPage, FeedPosition, PhotoAttached};
pub use event_feed::ReadEventFeed;
pub use get_photo::GetPhoto;
pub use identity::{ApiKeyId, ApiKeySecret, EmptyApiKeySecret, InvalidTenantId, Principal, TenantId};
pub use instant::{rfc3339, truncate_to_micros};
pub use list_photos::ListPhotos;
pub use object_storage::{
    AcceptedContentTypes, MaxPhotoBytes, ObjectPolicy, PhotoContentType, PresignedUpload, Sha256Digest,
    StoredObject, UploadRequest, UploadTtl, VerifiedObject,
};
pub use paging::{PageSize, PhotoCursor, PhotoPage};
pub use photo::{
    CdnBaseUrl, CdnUrl, CdnUrlError, InvalidCdnBaseUrl, NewPhoto, ObjectKey, ObjectKeyError, PhotoId,
    PhotoView, Step, StepError, TakenAt, TakenAtError,
};
pub use ports::{
    ApiKeyRegistry, ApiKeyVerifier, BatchSizes, Clock, DeliveryQueue, EventFeed, EventRelay, HostResolver,
    JitterSource, ObjectStore, PhotoIdGenerator, PoolProbe, PoolSample, WebhookRegistry, WebhookSender,
    WorkOrderReader, WorkOrderRegistry, WorkOrderRepo,
};
pub use system::{SystemClock, SystemJitter, UlidPhotoIds};
pub use upload_ticket::{IssueUploadTicket, UploadCommand, UploadFields, UploadTicket};
pub use view_work_order::ViewWorkOrder;
pub use webhook::{
    Retry, RetryPolicy, SubscriptionId, SubscriptionListing, TargetPolicy, WebhookSecret, WebhookUrl,
    is_public,
};
pub use webhook_admin::{WebhookAdmin, WebhookAdminError};
pub use work_order::{
    InvalidWorkOrderId, UnknownWorkOrderStatus, WorkOrderId, WorkOrderStatus, WorkOrderView,
};
pub use work_order_admin::{NewWorkOrder, WorkOrderAdmin, WorkOrderAdminError};
