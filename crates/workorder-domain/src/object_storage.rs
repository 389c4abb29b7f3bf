//! Photos in object storage: the formats accepted and their magic bytes, the operator's
//! bounds, the upload tickets' key scheme, and the judgement of a stored object. The
//! [`ObjectStore`](crate::ObjectStore) port says what the domain needs of a store; the rules
//! are all here, so an adapter only talks to its store.

mod content_type;
mod policy;
mod upload;
mod verification;

pub use content_type::{PhotoContentType, UnknownContentType};
pub use policy::{
    AcceptedContentTypes, InvalidContentTypes, MaxPhotoBytes, ObjectPolicy, UploadTtl, UploadTtlOutOfRange,
    ZeroMaxPhotoBytes,
};
pub use upload::{PresignedUpload, UploadRequest, in_tenant, upload_key};
pub use verification::{InvalidSha256, Sha256Digest, StoredObject, VerifiedObject, judge};
