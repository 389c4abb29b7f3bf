//! Object storage in memory: objects by key, and the tickets it presigned, honouring the
//! [`ObjectStore`] contract (a PUT must carry exactly the signed headers, before the ticket
//! expires, with the digest it promised).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{SwitchedOff, lock};
use crate::error::Error;
use crate::object_storage::{PresignedUpload, Sha256Digest, StoredObject, UploadRequest};
use crate::photo::ObjectKey;
use crate::ports::{Clock, ObjectStore};

/// The header that carries a ticket's digest, as S3 names it.
pub const CHECKSUM_HEADER: &str = "x-amz-checksum-sha256";

#[derive(Debug, Clone)]
struct Object {
    content_type: Option<String>,
    bytes: Vec<u8>,
    sha256: Option<Sha256Digest>,
    etag: String,
}

#[derive(Debug, Clone)]
struct Ticket {
    key: ObjectKey,
    headers: Vec<(String, String)>,
    sha256: Option<Sha256Digest>,
    expires_at: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Bucket {
    objects: HashMap<ObjectKey, Object>,
    tickets: HashMap<String, Ticket>,
    versions: u64,
    unavailable: bool,
}

/// Why [`InMemoryObjectStore::upload`] refused a PUT, as a store answers 403 or 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    /// No ticket has this URL (a tampered or made-up one).
    #[error("no such ticket")]
    UnknownTicket,
    /// The ticket has expired.
    #[error("the ticket has expired")]
    Expired,
    /// The headers differ from those signed.
    #[error("the headers differ from the signed ones")]
    HeadersDiffer,
    /// The body's length differs from the signed `Content-Length`.
    #[error("the body's length differs from the signed one")]
    LengthDiffers,
    /// The body's digest differs from the ticket's.
    #[error("the body's SHA-256 differs from the ticket's")]
    DigestDiffers,
}

/// Objects in a map behind a mutex. Tickets expire by the system clock, or by the one given
/// to [`InMemoryObjectStore::with_clock`].
#[derive(Default)]
pub struct InMemoryObjectStore {
    bucket: Mutex<Bucket>,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for InMemoryObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryObjectStore").field("bucket", &self.bucket).finish_non_exhaustive()
    }
}

impl InMemoryObjectStore {
    /// An empty store whose tickets expire by `clock` (the one the use cases sign with).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self { bucket: Mutex::default(), clock: Some(clock) }
    }

    /// Stores an object directly (as an operator or another client could), replacing any.
    pub fn put_object(&self, key: &ObjectKey, content_type: Option<&str>, bytes: &[u8]) {
        let mut bucket = lock(&self.bucket);
        bucket.versions += 1;
        let etag = format!("{:032x}", bucket.versions);
        let object = Object {
            content_type: content_type.map(str::to_owned),
            bytes: bytes.to_vec(),
            sha256: None,
            etag,
        };
        bucket.objects.insert(key.clone(), object);
    }

    /// Removes the object under `key`, if any.
    pub fn remove(&self, key: &ObjectKey) {
        lock(&self.bucket).objects.remove(key);
    }

    /// PUTs `body` to a presigned `url` with `headers`, as a client would, now.
    pub fn upload(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Result<(), UploadRefused> {
        let mut bucket = lock(&self.bucket);
        let ticket = bucket.tickets.get(url).cloned().ok_or(UploadRefused::UnknownTicket)?;
        let now = self.clock.as_ref().map_or_else(OffsetDateTime::now_utc, |c| c.now());
        if now > ticket.expires_at {
            return Err(UploadRefused::Expired);
        }
        let normalise = |headers: &[(String, String)]| {
            let mut h: Vec<(String, String)> =
                headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
            h.sort();
            h
        };
        let sent = normalise(headers);
        if normalise(&ticket.headers) != sent {
            return Err(UploadRefused::HeadersDiffer);
        }
        if let Some((_, length)) = sent.iter().find(|(n, _)| n == "content-length")
            && length.parse::<usize>().ok() != Some(body.len())
        {
            return Err(UploadRefused::LengthDiffers);
        }
        let digest = Sha256Digest::from_bytes(Sha256::digest(body).into());
        if ticket.sha256.is_some_and(|promised| promised != digest) {
            return Err(UploadRefused::DigestDiffers);
        }
        let content_type = sent.iter().find(|(n, _)| n == "content-type").map(|(_, v)| v.clone());
        bucket.versions += 1;
        let etag = format!("{:032x}", bucket.versions);
        let object = Object { content_type, bytes: body.to_vec(), sha256: ticket.sha256, etag };
        bucket.objects.insert(ticket.key, object);
        Ok(())
    }

    /// Makes every call fail with [`Error::Unavailable`] (or work again), to test outages.
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.bucket).unavailable = unavailable;
    }
}

impl Bucket {
    fn check(&self) -> Result<(), Error> {
        if self.unavailable { Err(Error::unavailable(SwitchedOff)) } else { Ok(()) }
    }
}

#[async_trait]
impl ObjectStore for InMemoryObjectStore {
    async fn describe(&self, key: &ObjectKey, first_bytes: usize) -> Result<Option<StoredObject>, Error> {
        let bucket = lock(&self.bucket);
        bucket.check()?;
        Ok(bucket.objects.get(key).map(|o| StoredObject {
            size_bytes: o.bytes.len() as u64,
            content_type: o.content_type.clone(),
            etag: o.etag.clone(),
            sha256: o.sha256,
            first_bytes: o.bytes.iter().take(first_bytes).copied().collect(),
        }))
    }

    async fn presign_upload(&self, upload: &UploadRequest) -> Result<PresignedUpload, Error> {
        let mut bucket = lock(&self.bucket);
        bucket.check()?;
        bucket.versions += 1;
        let url = format!("memory://bucket/{}?ticket={}", upload.key.as_str(), bucket.versions);
        let mut headers = vec![("Content-Type".to_owned(), upload.content_type.as_str().to_owned())];
        if let Some(length) = upload.content_length {
            headers.push(("Content-Length".to_owned(), length.to_string()));
        }
        if let Some(digest) = upload.sha256 {
            headers.push((CHECKSUM_HEADER.to_owned(), digest.to_hex()));
        }
        let expires_at = upload.signed_at + upload.lifetime;
        let ticket =
            Ticket { key: upload.key.clone(), headers: headers.clone(), sha256: upload.sha256, expires_at };
        bucket.tickets.insert(url.clone(), ticket);
        Ok(PresignedUpload { url, headers, expires_at })
    }
}
