//! Upload tickets: the key scheme the service hands out, and what an object store is asked
//! to presign and answers.

use std::time::Duration;

use time::OffsetDateTime;
use ulid::Ulid;

use super::content_type::PhotoContentType;
use super::verification::Sha256Digest;
use crate::error::Error;
use crate::identity::TenantId;
use crate::photo::ObjectKey;
use crate::work_order::WorkOrderId;

/// The key of a new upload: `{tenant}/{workOrderId}/{ULID}.{ext}`, the work-order id in
/// canonical lowercase.
pub fn upload_key(
    tenant: &TenantId,
    work_order_id: WorkOrderId,
    id: Ulid,
    content_type: PhotoContentType,
) -> Result<ObjectKey, Error> {
    // A tenant, a UUID and a ULID always make a valid key; a failure is a bug of ours.
    ObjectKey::parse(&format!("{tenant}/{work_order_id}/{id}.{}", content_type.extension()))
        .map_err(Error::internal)
}

/// Whether `key` lies under the tenant's prefix, `{tenant}/`.
pub fn in_tenant(key: &ObjectKey, tenant: &TenantId) -> bool {
    key.as_str().strip_prefix(tenant.as_str()).is_some_and(|rest| rest.starts_with('/'))
}

/// What an object store is asked to presign: a PUT of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Where the object goes.
    pub key: ObjectKey,
    /// The content type the PUT must carry (and the store will keep).
    pub content_type: PhotoContentType,
    /// The exact length the PUT must carry, when the client said it.
    pub content_length: Option<u64>,
    /// The digest the store must check the body against, when the client said it.
    pub sha256: Option<Sha256Digest>,
    /// When the URL is signed (the service's clock).
    pub signed_at: OffsetDateTime,
    /// How long after `signed_at` it stays valid.
    pub lifetime: Duration,
}

/// A presigned upload, as the store made it: the client PUTs the object's bytes to `url`
/// with exactly `headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    /// The URL, signature included.
    pub url: String,
    /// Every header the PUT must carry, each covered by the signature, as (name, value).
    pub headers: Vec<(String, String)>,
    /// When the URL stops being valid.
    pub expires_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_key_is_tenant_work_order_ulid_and_extension() {
        let tenant = TenantId::parse("acme").unwrap();
        let wo = WorkOrderId::parse("2489E9AD-2EE2-8E00-8EC9-32D5F69181C0").unwrap();
        let key = upload_key(&tenant, wo, Ulid(7), PhotoContentType::Heic).unwrap();
        assert_eq!(key.as_str(), "acme/2489e9ad-2ee2-8e00-8ec9-32d5f69181c0/00000000000000000000000007.heic");
        assert!(in_tenant(&key, &tenant));
    }

    #[test]
    fn a_key_is_in_a_tenant_only_under_its_whole_slug_and_a_slash() {
        let acme = TenantId::parse("acme").unwrap();
        for (key, inside) in
            [("acme/a.jpg", true), ("acme2/a.jpg", false), ("acm/a.jpg", false), ("x/acme/a.jpg", false)]
        {
            assert_eq!(in_tenant(&ObjectKey::parse(key).unwrap(), &acme), inside, "{key}");
        }
    }
}
