//! The object-storage settings: their flags and variables, and their check into the S3
//! adapter's configuration and the domain's object policy. Unset `WORKORDER_S3_ENDPOINT`: no
//! object storage, and the service behaves as it did without it.

use std::time::Duration;

use clap::Args;
use workorder_domain::object_storage::{InvalidContentTypes, UploadTtlOutOfRange, ZeroMaxPhotoBytes};
use workorder_domain::{
    AcceptedContentTypes, CdnBaseUrl, InvalidCdnBaseUrl, MaxPhotoBytes, ObjectPolicy, UploadTtl,
};
use workorder_infra::{InvalidS3Config, S3Config, S3ObjectStore, S3Secret};

#[derive(Debug, Args)]
pub(crate) struct StorageArgs {
    /// The S3 endpoint the service reaches (path-style, as MinIO serves), e.g.
    /// http://127.0.0.1:9000; unset: no object storage.
    #[arg(long, env = "WORKORDER_S3_ENDPOINT", global = true)]
    pub(crate) s3_endpoint: Option<String>,
    /// The endpoint written into upload URLs, when apps reach the store at another address.
    #[arg(long, env = "WORKORDER_S3_PUBLIC_ENDPOINT", global = true)]
    pub(crate) s3_public_endpoint: Option<String>,
    /// The bucket photos are uploaded to.
    #[arg(long, env = "WORKORDER_S3_BUCKET", global = true)]
    pub(crate) s3_bucket: Option<String>,
    /// The region signatures are scoped to.
    #[arg(long, env = "WORKORDER_S3_REGION", default_value = "us-east-1", global = true)]
    pub(crate) s3_region: String,
    /// The access key id (from the environment only).
    #[arg(
        env = "AWS_ACCESS_KEY_ID",
        hide_env_values = true,
        long = "aws-access-key-id",
        hide = true,
        global = true
    )]
    pub(crate) access_key_id: Option<String>,
    /// The secret access key (from the environment only; never shown).
    #[arg(
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        long = "aws-secret-access-key",
        hide = true,
        global = true
    )]
    pub(crate) secret_access_key: Option<String>,
    /// The longest an object-store call may take before the request is answered 503, in ms.
    #[arg(long, env = "WORKORDER_S3_TIMEOUT_MS", default_value_t = 5000, global = true)]
    pub(crate) s3_timeout_ms: u64,
    /// The largest photo object, in bytes.
    #[arg(long, env = "WORKORDER_PHOTO_MAX_BYTES", default_value_t = 26_214_400, global = true)]
    pub(crate) photo_max_bytes: u64,
    /// The accepted photo types, comma-separated.
    #[arg(
        long,
        env = "WORKORDER_PHOTO_CONTENT_TYPES",
        default_value = "image/jpeg,image/png,image/heic,image/heif,image/webp",
        global = true
    )]
    pub(crate) photo_content_types: String,
    /// How long an upload URL is valid, in seconds (60 to 604800).
    #[arg(long, env = "WORKORDER_UPLOAD_TTL_SECS", default_value_t = 900, global = true)]
    pub(crate) upload_ttl_secs: u64,
    /// When set, a photo's cdnUrl must be this base (ending with /) followed by its key.
    #[arg(long, env = "WORKORDER_CDN_BASE_URL", global = true)]
    pub(crate) cdn_base_url: Option<String>,
}

/// Object storage, checked: the adapter (not yet contacted) and the rules photos are held to.
pub(crate) struct ObjectStorageSettings {
    pub(crate) store: S3ObjectStore,
    pub(crate) policy: ObjectPolicy,
}

/// An object-storage setting that breaks its rule; the process exits 2 with this one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StorageSettingsError {
    #[error(transparent)]
    S3(#[from] InvalidS3Config),
    #[error("WORKORDER_S3_BUCKET must be set with WORKORDER_S3_ENDPOINT")]
    NoBucket,
    #[error("WORKORDER_PHOTO_MAX_BYTES: {0}")]
    MaxBytes(#[from] ZeroMaxPhotoBytes),
    #[error("WORKORDER_PHOTO_CONTENT_TYPES: {0}")]
    ContentTypes(#[from] InvalidContentTypes),
    #[error("WORKORDER_UPLOAD_TTL_SECS: {0}")]
    UploadTtl(#[from] UploadTtlOutOfRange),
    #[error(transparent)]
    CdnBase(#[from] InvalidCdnBaseUrl),
}

impl StorageArgs {
    /// The CDN base, which applies with or without object storage.
    pub(crate) fn cdn_base(&self) -> Result<Option<CdnBaseUrl>, StorageSettingsError> {
        Ok(self.cdn_base_url.as_deref().map(CdnBaseUrl::parse).transpose()?)
    }

    /// Object storage, or `None` without an endpoint. Every value is checked either way, so a
    /// bad one is reported before it matters.
    pub(crate) fn object_storage(self) -> Result<Option<ObjectStorageSettings>, StorageSettingsError> {
        let policy = ObjectPolicy {
            max_bytes: MaxPhotoBytes::new(self.photo_max_bytes)?,
            content_types: AcceptedContentTypes::parse_list(&self.photo_content_types)?,
            upload_ttl: UploadTtl::from_secs(self.upload_ttl_secs)?,
        };
        let public_endpoint = self
            .s3_public_endpoint
            .as_deref()
            .map(|v| S3Config::parse_endpoint("WORKORDER_S3_PUBLIC_ENDPOINT", v))
            .transpose()?;
        let Some(endpoint) = self.s3_endpoint else { return Ok(None) };
        let endpoint = S3Config::parse_endpoint("WORKORDER_S3_ENDPOINT", &endpoint)?;
        let s3 = S3Config {
            public_endpoint: public_endpoint.unwrap_or_else(|| endpoint.clone()),
            endpoint,
            bucket: self.s3_bucket.ok_or(StorageSettingsError::NoBucket)?,
            region: self.s3_region,
            access_key_id: self.access_key_id.unwrap_or_default(),
            secret_access_key: S3Secret::new(self.secret_access_key.unwrap_or_default()),
            timeout: Duration::from_millis(self.s3_timeout_ms),
        };
        Ok(Some(ObjectStorageSettings { store: S3ObjectStore::new(&s3)?, policy }))
    }
}
