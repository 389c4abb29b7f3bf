//! What the operator configures about photo objects: the largest size, the accepted
//! formats, how long an upload ticket lasts. Each bound is a type that cannot hold a bad value.

use std::time::Duration;

use super::content_type::{PhotoContentType, UnknownContentType};

/// The largest photo object, in bytes; at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxPhotoBytes(u64);

/// A maximum of 0 bytes would refuse every photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the largest photo must be at least 1 byte")]
pub struct ZeroMaxPhotoBytes;

impl MaxPhotoBytes {
    /// The contract's default: 25 MiB.
    pub const DEFAULT: MaxPhotoBytes = MaxPhotoBytes(25 * 1024 * 1024);

    /// A maximum of `bytes`, at least 1.
    pub fn new(bytes: u64) -> Result<Self, ZeroMaxPhotoBytes> {
        if bytes == 0 { Err(ZeroMaxPhotoBytes) } else { Ok(Self(bytes)) }
    }

    /// The bytes.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The formats accepted, a non-empty set of [`PhotoContentType`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedContentTypes(Vec<PhotoContentType>);

/// Why a list of media types cannot be the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidContentTypes {
    /// The list names no type.
    #[error("at least one media type must be accepted")]
    Empty,
    /// A type that no magic-byte check knows.
    #[error(transparent)]
    Unknown(#[from] UnknownContentType),
}

impl AcceptedContentTypes {
    /// The types of a comma-separated list such as `image/jpeg,image/png`.
    pub fn parse_list(raw: &str) -> Result<Self, InvalidContentTypes> {
        let mut types = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let parsed = PhotoContentType::parse(item)?;
            if !types.contains(&parsed) {
                types.push(parsed);
            }
        }
        if types.is_empty() { Err(InvalidContentTypes::Empty) } else { Ok(Self(types)) }
    }

    /// Whether `content_type` is accepted.
    pub fn accepts(&self, content_type: PhotoContentType) -> bool {
        self.0.contains(&content_type)
    }

    /// The accepted types, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = PhotoContentType> + '_ {
        self.0.iter().copied()
    }
}

impl Default for AcceptedContentTypes {
    /// Every format the contract names.
    fn default() -> Self {
        Self(PhotoContentType::ALL.to_vec())
    }
}

/// How long an upload URL stays valid: 60 seconds to 7 days (S3's longest presigned URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UploadTtl(Duration);

/// The lifetime is outside 60 s to 7 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an upload URL lives 60 to 604800 seconds")]
pub struct UploadTtlOutOfRange;

impl UploadTtl {
    /// The contract's default: 15 minutes.
    pub const DEFAULT: UploadTtl = UploadTtl(Duration::from_secs(900));

    /// A lifetime of `seconds`, 60 to 604800.
    pub fn from_secs(seconds: u64) -> Result<Self, UploadTtlOutOfRange> {
        if (60..=604_800).contains(&seconds) {
            Ok(Self(Duration::from_secs(seconds)))
        } else {
            Err(UploadTtlOutOfRange)
        }
    }

    /// The lifetime.
    pub fn get(self) -> Duration {
        self.0
    }
}

/// The rules photo objects are held to, when object storage is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPolicy {
    /// The largest object.
    pub max_bytes: MaxPhotoBytes,
    /// The formats accepted.
    pub content_types: AcceptedContentTypes,
    /// How long an upload ticket's URL lasts.
    pub upload_ttl: UploadTtl,
}

impl Default for ObjectPolicy {
    fn default() -> Self {
        Self {
            max_bytes: MaxPhotoBytes::DEFAULT,
            content_types: AcceptedContentTypes::default(),
            upload_ttl: UploadTtl::DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_refuse_what_the_contract_refuses() {
        assert!(MaxPhotoBytes::new(0).is_err());
        assert_eq!(MaxPhotoBytes::DEFAULT.get(), 26_214_400);
        assert!(UploadTtl::from_secs(59).is_err());
        assert!(UploadTtl::from_secs(60).is_ok());
        assert!(UploadTtl::from_secs(604_800).is_ok());
        assert!(UploadTtl::from_secs(604_801).is_err());
        assert_eq!(AcceptedContentTypes::parse_list(" , "), Err(InvalidContentTypes::Empty));
        assert!(AcceptedContentTypes::parse_list("image/jpeg,image/gif").is_err());
        let types = AcceptedContentTypes::parse_list("image/png, IMAGE/PNG,image/webp").unwrap_or_default();
        assert_eq!(types.iter().collect::<Vec<_>>(), [PhotoContentType::Png, PhotoContentType::Webp]);
    }
}
