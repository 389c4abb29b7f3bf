//! The IssueUploadTicket use case: hand a client a presigned URL to upload a photo's object
//! to, under a key the service chooses, so that the app needs no credentials of the store.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::{Error, Field, FieldError};
use crate::identity::Principal;
use crate::instant::truncate_to_micros;
use crate::object_storage::{ObjectPolicy, PhotoContentType, Sha256Digest, UploadRequest, upload_key};
use crate::photo::ObjectKey;
use crate::ports::{Clock, ObjectStore, PhotoIdGenerator, WorkOrderReader};
use crate::work_order::WorkOrderId;

/// A ticket's request as a client sent it, before any check.
#[derive(Debug, Clone, Copy, Default)]
pub struct UploadFields<'a> {
    /// `contentType`, required.
    pub content_type: Option<&'a str>,
    /// `contentLength`, optional: the exact size the upload will have.
    pub content_length: Option<u64>,
    /// `sha256`, optional: 64 hexadecimal digits.
    pub sha256: Option<&'a str>,
}

/// A checked ticket request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadCommand {
    content_type: PhotoContentType,
    content_length: Option<u64>,
    sha256: Option<Sha256Digest>,
}

impl UploadCommand {
    /// The photo's format.
    pub fn content_type(&self) -> PhotoContentType {
        self.content_type
    }

    /// Its exact size, when given.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Its digest, when given.
    pub fn sha256(&self) -> Option<Sha256Digest> {
        self.sha256
    }
}

/// An upload ticket: where to PUT the photo, with which headers, until when, and the key to
/// attach it under afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTicket {
    /// The key the object will have: `{tenant}/{workOrderId}/{ULID}.{ext}`.
    pub object_key: ObjectKey,
    /// The presigned URL.
    pub upload_url: String,
    /// Every header the PUT must carry, as (name, value).
    pub headers: Vec<(String, String)>,
    /// When the URL stops being valid.
    pub expires_at: OffsetDateTime,
}

/// The IssueUploadTicket use case.
#[derive(Clone)]
pub struct IssueUploadTicket {
    store: Arc<dyn ObjectStore>,
    reader: Arc<dyn WorkOrderReader>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn PhotoIdGenerator>,
    policy: ObjectPolicy,
}

impl std::fmt::Debug for IssueUploadTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueUploadTicket").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl IssueUploadTicket {
    /// The use case over its ports; `ids` makes the ULIDs of new keys.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        reader: Arc<dyn WorkOrderReader>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn PhotoIdGenerator>,
        policy: ObjectPolicy,
    ) -> Self {
        Self { store, reader, clock, ids, policy }
    }

    /// The rules in force.
    pub fn policy(&self) -> &ObjectPolicy {
        &self.policy
    }

    /// Checks a client's raw fields: [`Error::InvalidUpload`] listing every bad one (a type
    /// not accepted, a length of 0 or over the maximum, a digest that is not 64 hex digits).
    pub fn command(&self, fields: UploadFields<'_>) -> Result<UploadCommand, Error> {
        let mut errors = Vec::new();
        let content_type = match fields.content_type.map(PhotoContentType::parse) {
            None => {
                errors.push(FieldError::new(Field::ContentType, "champ requis"));
                None
            }
            Some(Ok(t)) if self.policy.content_types.accepts(t) => Some(t),
            Some(_) => {
                let accepted: Vec<&str> =
                    self.policy.content_types.iter().map(PhotoContentType::as_str).collect();
                errors.push(FieldError::new(
                    Field::ContentType,
                    format!("type non accepté ; types acceptés : {}", accepted.join(", ")),
                ));
                None
            }
        };
        let max = self.policy.max_bytes.get();
        if let Some(length) = fields.content_length
            && !(1..=max).contains(&length)
        {
            errors.push(FieldError::new(Field::ContentLength, format!("doit être entre 1 et {max} octets")));
        }
        let sha256 = match fields.sha256.map(Sha256Digest::parse_hex).transpose() {
            Ok(digest) => digest,
            Err(_) => {
                errors.push(FieldError::new(Field::Sha256, "doit être 64 chiffres hexadécimaux"));
                None
            }
        };
        match content_type {
            Some(content_type) if errors.is_empty() => {
                Ok(UploadCommand { content_type, content_length: fields.content_length, sha256 })
            }
            _ => Err(Error::InvalidUpload(errors)),
        }
    }

    /// A ticket for a photo of the work order, for `principal`'s tenant: the work order must
    /// exist there ([`Error::WorkOrderNotFound`]) and accept photos
    /// ([`Error::WorkOrderClosed`]); then the store presigns the upload.
    pub async fn issue(
        &self,
        principal: &Principal,
        work_order_id: WorkOrderId,
        command: UploadCommand,
    ) -> Result<UploadTicket, Error> {
        let work_order = self.reader.work_order(principal.tenant(), work_order_id).await?;
        if !work_order.status.accepts_photos() {
            return Err(Error::WorkOrderClosed(work_order.status));
        }
        let key =
            upload_key(principal.tenant(), work_order_id, self.ids.next_id().ulid(), command.content_type)?;
        let request = UploadRequest {
            key: key.clone(),
            content_type: command.content_type,
            content_length: command.content_length,
            sha256: command.sha256,
            signed_at: truncate_to_micros(self.clock.now()),
            lifetime: self.policy.upload_ttl.get(),
        };
        let presigned = self.store.presign_upload(&request).await?;
        Ok(UploadTicket {
            object_key: key,
            upload_url: presigned.url,
            headers: presigned.headers,
            expires_at: presigned.expires_at,
        })
    }
}
