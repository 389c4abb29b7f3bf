//! Attach photos to field-service work orders.
//!
//! This crate is the heart of the product: the [`AttachPhoto`] use case and the read side
//! ([`ViewWorkOrder`], [`ListPhotos`], [`GetPhoto`]), the value types that carry the
//! contract's rules, the ports through which it reaches the outside world ([`WorkOrderRepo`],
//! [`WorkOrderReader`], [`ApiKeyVerifier`], [`Clock`], [`PhotoIdGenerator`]) and the one
//! [`Error`] type every caller maps from. It depends on no framework, runtime or I/O crate, so a
//! service embeds it with adapters of its own; the HTTP service is only one of its users.
//!
//! ```
//! # #[cfg(feature = "in-memory")] {
//! use std::sync::Arc;
//! use workorder_domain::{AttachPhoto, AttachPolicy, PhotoFields, SystemClock, UlidPhotoIds};
//! use workorder_domain::in_memory::InMemoryWorkOrderRepo;
//!
//! let repo = Arc::new(InMemoryWorkOrderRepo::default());
//! let service = AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default());
//! let command = service.command(
//!     "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
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

mod attach_photo;
mod error;
mod get_photo;
mod identity;
mod list_photos;
mod photo;
mod ports;
mod view_work_order;
mod work_order;

#[cfg(feature = "in-memory")]
pub mod in_memory;

pub use attach_photo::{
    AttachPhoto, AttachPhotoCommand, AttachPhotoOutcome, AttachPolicy, CdnHostPolicy, InvalidCdnHost,
    PhotoFields,
};
pub use error::{BoxError, Error, ErrorKind, Field, FieldError, Origin};
pub use get_photo::GetPhoto;
pub use identity::{ApiKeyId, ApiKeySecret, EmptyApiKeySecret, InvalidTenantId, Principal, TenantId};
pub use list_photos::{ListPhotos, PageSize, PhotoCursor, PhotoPage};
pub use photo::{
    CdnUrl, CdnUrlError, NewPhoto, ObjectKey, ObjectKeyError, PhotoId, PhotoView, Step, StepError, TakenAt,
    TakenAtError,
};
pub use ports::{
    ApiKeyVerifier, Attachment, Clock, Disposition, PhotoIdGenerator, SystemClock, UlidPhotoIds,
    WorkOrderReader, WorkOrderRepo,
};
pub use view_work_order::ViewWorkOrder;
pub use work_order::{
    InvalidWorkOrderId, UnknownWorkOrderStatus, WorkOrderId, WorkOrderStatus, WorkOrderView,
};
