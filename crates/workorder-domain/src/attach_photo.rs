//! The AttachPhoto use case: record a photo, already in object storage, on a work order.
//!
//! With object storage configured ([`AttachPhoto::with_object_storage`]), a photo's key must
//! lie under its tenant's prefix, and a photo that would be new is recorded only once its
//! object has been read and judged: the store decides first (a missing or closed work order, a
//! conflict and a retry never touch the object), then the object, then the insert, which
//! decides again atomically.

use std::sync::Arc;

pub use crate::attach_policy::{AttachPolicy, CdnHostPolicy, InvalidCdnHost};
use crate::attachment::{AttachDecision, Attachment, Disposition};
use crate::body_input::PhotoInput;
use crate::error::{Error, Field, FieldError};
use crate::identity::{Principal, TenantId};
use crate::instant::truncate_to_micros;
use crate::object_storage::{ObjectPolicy, PhotoContentType, in_tenant, judge};
use crate::photo::{
    CdnUrl, CdnUrlError, NewPhoto, ObjectKey, ObjectKeyError, PhotoId, Step, TakenAt, TakenAtError,
};
use crate::ports::{Clock, ObjectStore, PhotoIdGenerator, WorkOrderRepo};
use crate::work_order::{WorkOrderId, WorkOrderStatus};

/// The photo's fields as a client sent them, before any check. `None` means absent (for
/// `step`, absent or `null`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PhotoFields<'a> {
    /// `minioObjectKey`, required.
    pub minio_object_key: Option<&'a str>,
    /// `cdnUrl`, required.
    pub cdn_url: Option<&'a str>,
    /// `takenAt`, required.
    pub taken_at: Option<&'a str>,
    /// `step`, optional.
    pub step: Option<&'a str>,
}

/// A checked request to attach a photo. Its fields are valid by construction; the policy
/// (host allow-list, clock skew) is checked again when it is executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPhotoCommand {
    work_order_id: WorkOrderId,
    object_key: ObjectKey,
    cdn_url: CdnUrl,
    taken_at: TakenAt,
    step: Option<Step>,
}

impl AttachPhotoCommand {
    /// A command from valid parts.
    pub fn new(
        work_order_id: WorkOrderId,
        object_key: ObjectKey,
        cdn_url: CdnUrl,
        taken_at: TakenAt,
        step: Option<Step>,
    ) -> Self {
        Self { work_order_id, object_key, cdn_url, taken_at, step }
    }

    /// The work order to attach to.
    pub fn work_order_id(&self) -> WorkOrderId {
        self.work_order_id
    }

    /// The object's key in MinIO.
    pub fn object_key(&self) -> &ObjectKey {
        &self.object_key
    }

    /// Where the CDN serves the photo.
    pub fn cdn_url(&self) -> &CdnUrl {
        &self.cdn_url
    }

    /// When the photo was taken.
    pub fn taken_at(&self) -> TakenAt {
        self.taken_at
    }

    /// The step it documents, if any.
    pub fn step(&self) -> Option<&Step> {
        self.step.as_ref()
    }
}

/// What an attach did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachPhotoOutcome {
    /// The work order, canonical.
    pub work_order_id: WorkOrderId,
    /// Its status.
    pub status: WorkOrderStatus,
    /// The photo's id (the first one, for a retry).
    pub photo_id: PhotoId,
    /// Created now, or already attached by an earlier identical call.
    pub disposition: Disposition,
}

/// The AttachPhoto use case.
#[derive(Clone)]
pub struct AttachPhoto {
    repo: Arc<dyn WorkOrderRepo>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn PhotoIdGenerator>,
    policy: AttachPolicy,
    storage: Option<ObjectStorage>,
}

/// The object store photos are verified in, and the rules they are held to.
#[derive(Clone)]
struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    policy: ObjectPolicy,
}

impl std::fmt::Debug for AttachPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachPhoto")
            .field("policy", &self.policy)
            .field("object_policy", &self.storage.as_ref().map(|s| &s.policy))
            .finish_non_exhaustive()
    }
}

impl AttachPhoto {
    /// The use case over its ports.
    pub fn new(
        repo: Arc<dyn WorkOrderRepo>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn PhotoIdGenerator>,
        policy: AttachPolicy,
    ) -> Self {
        Self { repo, clock, ids, policy, storage: None }
    }

    /// Verifies every new photo's object in `store` before recording it, and requires keys
    /// under the caller's tenant's prefix.
    pub fn with_object_storage(mut self, store: Arc<dyn ObjectStore>, policy: ObjectPolicy) -> Self {
        self.storage = Some(ObjectStorage { store, policy });
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &AttachPolicy {
        &self.policy
    }

    /// Checks a client's raw fields into a command for the work order (whose id the caller
    /// has parsed, as the path comes before the body).
    ///
    /// Returns [`Error::InvalidPhoto`] listing every bad field, policy included. The rule that
    /// needs the caller (with object storage, the key under its tenant's prefix) is checked by
    /// [`AttachPhoto::command_for`], and again by [`AttachPhoto::attach`].
    pub fn command(
        &self,
        work_order_id: WorkOrderId,
        fields: PhotoFields<'_>,
    ) -> Result<AttachPhotoCommand, Error> {
        self.check_fields(None, work_order_id, fields)
    }

    /// [`AttachPhoto::command`] for `principal`: also lists a key outside its tenant's prefix
    /// when object storage is configured.
    pub fn command_for(
        &self,
        principal: &Principal,
        work_order_id: WorkOrderId,
        fields: PhotoFields<'_>,
    ) -> Result<AttachPhotoCommand, Error> {
        self.check_fields(Some(principal.tenant()), work_order_id, fields)
    }

    /// [`AttachPhoto::command`] (or [`AttachPhoto::command_for`] with a principal) from the
    /// body's fields as sent: a field of another type than string is reported with the
    /// contract's message in place of its rules, and every bad field is listed, in field order.
    pub fn command_from_input(
        &self,
        principal: Option<&Principal>,
        work_order_id: WorkOrderId,
        input: PhotoInput<'_>,
    ) -> Result<AttachPhotoCommand, Error> {
        let mut typed = Vec::new();
        let fields = PhotoFields {
            minio_object_key: input.minio_object_key.text(Field::MinioObjectKey, &mut typed),
            cdn_url: input.cdn_url.text(Field::CdnUrl, &mut typed),
            taken_at: input.taken_at.text(Field::TakenAt, &mut typed),
            step: input.step.text(Field::Step, &mut typed),
        };
        match self.check_fields(principal.map(Principal::tenant), work_order_id, fields) {
            Ok(command) if typed.is_empty() => Ok(command),
            Ok(_) => Err(Error::InvalidPhoto(typed)),
            Err(Error::InvalidPhoto(mut ruled)) => {
                // A field of the wrong type reached the rules as absent: only its type counts.
                ruled.retain(|e| !typed.iter().any(|t| t.field() == e.field()));
                typed.extend(ruled);
                typed.sort_by_key(FieldError::field);
                Err(Error::InvalidPhoto(typed))
            }
            Err(other) => Err(other),
        }
    }

    fn check_fields(
        &self,
        tenant: Option<&TenantId>,
        work_order_id: WorkOrderId,
        fields: PhotoFields<'_>,
    ) -> Result<AttachPhotoCommand, Error> {
        let mut errors = Vec::new();
        let object_key = required(&mut errors, Field::MinioObjectKey, fields.minio_object_key, |raw| {
            ObjectKey::parse(raw).map_err(ObjectKeyError::message)
        });
        let cdn_url = required(&mut errors, Field::CdnUrl, fields.cdn_url, |raw| {
            CdnUrl::parse(raw).map_err(CdnUrlError::message)
        });
        let taken_at = required(&mut errors, Field::TakenAt, fields.taken_at, |raw| {
            TakenAt::parse(raw).map_err(TakenAtError::message)
        });
        let step = match fields.step.map(Step::parse).transpose() {
            Ok(step) => step,
            Err(e) => {
                errors.push(FieldError::new(Field::Step, e.message()));
                None
            }
        };
        self.check_policy(&mut errors, tenant, object_key.as_ref(), cdn_url.as_ref(), taken_at);
        errors.sort_by_key(FieldError::field);
        match (object_key, cdn_url, taken_at) {
            (Some(object_key), Some(cdn_url), Some(taken_at)) if errors.is_empty() => {
                Ok(AttachPhotoCommand { work_order_id, object_key, cdn_url, taken_at, step })
            }
            _ => Err(Error::InvalidPhoto(errors)),
        }
    }

    /// Whether the store answers, for readiness probes: [`Error::Unavailable`] when it does not.
    pub async fn ready(&self) -> Result<(), Error> {
        self.repo.ping().await
    }

    /// Attaches the photo to the work order for `principal`'s tenant.
    ///
    /// Returns the outcome (created, or already attached by an identical earlier call), or:
    /// [`Error::InvalidPhoto`] if the command breaks the policy, and otherwise whatever
    /// [`WorkOrderRepo::attach_photo`] returns. With object storage, a photo that would be
    /// new is first read from the store: [`Error::PhotoObjectNotFound`],
    /// [`Error::PhotoObjectRejected`] or [`Error::Unavailable`] record nothing.
    pub async fn attach(
        &self,
        principal: &Principal,
        command: AttachPhotoCommand,
    ) -> Result<AttachPhotoOutcome, Error> {
        let mut errors = Vec::new();
        self.check_policy(
            &mut errors,
            Some(principal.tenant()),
            Some(&command.object_key),
            Some(&command.cdn_url),
            Some(command.taken_at),
        );
        if !errors.is_empty() {
            return Err(Error::InvalidPhoto(errors));
        }
        let work_order_id = command.work_order_id;
        let photo = NewPhoto {
            tenant: principal.tenant().clone(),
            work_order_id,
            photo_id: self.ids.next_id(),
            object_key: command.object_key,
            cdn_url: command.cdn_url,
            taken_at: command.taken_at,
            step: command.step,
            attached_by: principal.key_id(),
            recorded_at: truncate_to_micros(self.clock.now()),
            object: None,
        };
        let attachment = match &self.storage {
            None => self.repo.attach_photo(photo).await?,
            Some(storage) => self.verify_then_attach(storage, photo).await?,
        };
        Ok(AttachPhotoOutcome {
            work_order_id,
            status: attachment.status,
            photo_id: attachment.photo_id,
            disposition: attachment.disposition,
        })
    }

    /// The store decides first; only a photo it would record is read from object storage,
    /// judged, and handed back to the store with what was verified.
    async fn verify_then_attach(
        &self,
        storage: &ObjectStorage,
        mut photo: NewPhoto,
    ) -> Result<Attachment, Error> {
        match self.repo.decide_attach(&photo).await? {
            AttachDecision::Answer(answer) => answer,
            AttachDecision::Record(_) => {
                let stored = storage
                    .store
                    .describe(&photo.object_key, PhotoContentType::SNIFF_BYTES)
                    .await?
                    .ok_or(Error::PhotoObjectNotFound)?;
                photo.object = Some(judge(&stored, &storage.policy, photo.recorded_at)?);
                self.repo.attach_photo(photo).await
            }
        }
    }

    fn check_policy(
        &self,
        errors: &mut Vec<FieldError>,
        tenant: Option<&TenantId>,
        object_key: Option<&ObjectKey>,
        cdn_url: Option<&CdnUrl>,
        taken_at: Option<TakenAt>,
    ) {
        if let (Some(tenant), Some(key), Some(_)) = (tenant, object_key, &self.storage)
            && !in_tenant(key, tenant)
        {
            errors.push(FieldError::new(
                Field::MinioObjectKey,
                format!("doit commencer par « {tenant}/ », le préfixe du locataire"),
            ));
        }
        if let Some(url) = cdn_url
            && !self.policy.cdn_hosts.permits(url)
        {
            errors.push(FieldError::new(Field::CdnUrl, "hôte non autorisé"));
        }
        if let (Some(base), Some(key), Some(url)) = (&self.policy.cdn_base, object_key, cdn_url)
            && !base.serves(key, url)
        {
            errors.push(FieldError::new(
                Field::CdnUrl,
                "doit être l'URL de base du CDN suivie de la clé d'objet encodée",
            ));
        }
        if let Some(taken_at) = taken_at
            && taken_at.instant() > self.clock.now() + self.policy.max_clock_skew
        {
            errors.push(FieldError::new(Field::TakenAt, TakenAtError::InFuture.message()));
        }
    }
}

/// A required field, parsed; a parser's error is its French message for clients.
fn required<T>(
    errors: &mut Vec<FieldError>,
    field: Field,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Option<T> {
    let Some(raw) = raw else {
        errors.push(FieldError::new(field, "champ requis"));
        return None;
    };
    parse(raw).map_err(|e| errors.push(FieldError::new(field, e))).ok()
}
