//! Photos and the value types of their fields, each holding one rule of the contract.
//!
//! These types check what is intrinsic to a value (a key's shape, a URL's form). Rules that
//! depend on configuration or on the time of the request (the CDN host allow-list, the
//! clock-skew bound) are policy, checked by [`crate::AttachPhoto`].

mod cdn_base_url;
mod cdn_url;
mod object_key;
mod step;
mod taken_at;

use time::OffsetDateTime;

pub use cdn_base_url::{CdnBaseUrl, InvalidCdnBaseUrl};
pub use cdn_url::{CdnUrl, CdnUrlError};
pub use object_key::{ObjectKey, ObjectKeyError};
pub use step::{Step, StepError};
pub use taken_at::{TakenAt, TakenAtError};

use crate::identity::{ApiKeyId, TenantId};
use crate::object_storage::VerifiedObject;
use crate::work_order::WorkOrderId;

crate::ulid_id::ulid_id!(
    /// A photo's id: a ULID, so ids sort by creation time.
    PhotoId
);

/// A photo to record: what [`crate::WorkOrderRepo::attach_photo`] receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    /// The tenant of the caller; the work order must belong to it.
    pub tenant: TenantId,
    /// The work order to attach to.
    pub work_order_id: WorkOrderId,
    /// The id to give the photo if it is new; a retry keeps the first id.
    pub photo_id: PhotoId,
    /// The object's key in MinIO; unique per work order.
    pub object_key: ObjectKey,
    /// Where the CDN serves it.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// The step it documents, if any.
    pub step: Option<Step>,
    /// The key that attached it.
    pub attached_by: ApiKeyId,
    /// When it is recorded (the service's clock, to the microsecond).
    pub recorded_at: OffsetDateTime,
    /// What was verified of its object, when object storage is configured; `None` otherwise.
    pub object: Option<VerifiedObject>,
}

impl NewPhoto {
    /// Whether `self` carries the same data as an already recorded photo with the same key:
    /// same CDN URL, same instant, same step. Then it is a retry, not a conflict.
    pub fn same_data_as(&self, cdn_url: &CdnUrl, taken_at: TakenAt, step: Option<&Step>) -> bool {
        self.cdn_url == *cdn_url && self.taken_at == taken_at && self.step.as_ref() == step
    }
}

/// A recorded photo as the read side shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoView {
    /// Its id.
    pub photo_id: PhotoId,
    /// Its key in MinIO.
    pub object_key: ObjectKey,
    /// Where the CDN serves it.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// The step it documents, if any.
    pub step: Option<Step>,
    /// When it was recorded (UTC).
    pub created_at: OffsetDateTime,
    /// What was verified of its object; `None` for a photo recorded without verification.
    pub object: Option<VerifiedObject>,
}

impl From<&NewPhoto> for PhotoView {
    /// The photo as the read side shows it once recorded: `created_at` is when it was recorded.
    fn from(photo: &NewPhoto) -> Self {
        Self {
            photo_id: photo.photo_id,
            object_key: photo.object_key.clone(),
            cdn_url: photo.cdn_url.clone(),
            taken_at: photo.taken_at,
            step: photo.step.clone(),
            created_at: photo.recorded_at,
            object: photo.object.clone(),
        }
    }
}
