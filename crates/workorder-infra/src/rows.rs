//! The rows as the tables hold them, and their conversions from and to the domain's types.
//! Instants are stored as UTC `TIMESTAMP`, to the microsecond, which both backends keep.

use diesel::prelude::*;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use workorder_domain::{
    CdnUrl, Error, NewPhoto, ObjectKey, PhotoContentType, PhotoView, RecordedPhoto, Sha256Digest, Step,
    TakenAt, VerifiedObject, truncate_to_micros,
};

use crate::schema::{api_keys, photos, work_orders};

/// An instant as a `TIMESTAMP` column holds it.
pub(crate) fn to_utc_timestamp(instant: OffsetDateTime) -> PrimitiveDateTime {
    let utc = truncate_to_micros(instant.to_offset(UtcOffset::UTC));
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// An API key as stored: the hash of its secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct ApiKeyRow {
    pub(crate) tenant_id: String,
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) secret_hash: Vec<u8>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) revoked_at: Option<PrimitiveDateTime>,
}

/// A work order as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = work_orders)]
pub(crate) struct WorkOrderRow {
    pub(crate) tenant_id: String,
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) title: Option<String>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) updated_at: PrimitiveDateTime,
}

/// A photo to insert. A `None` is bound as NULL rather than left to the column's default
/// (NULL as well): on SQLite diesel would otherwise leave the column out, so the statement's
/// text would change with the photo and could be neither cached nor sent as one multi-row
/// statement for a batch.
#[derive(Debug, Insertable)]
#[diesel(table_name = photos, treat_none_as_default_value = false)]
pub(crate) struct NewPhotoRow<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) id: String,
    pub(crate) work_order_id: String,
    pub(crate) object_key: &'a str,
    pub(crate) cdn_url: &'a str,
    pub(crate) taken_at: PrimitiveDateTime,
    pub(crate) step: Option<&'a str>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) api_key_id: String,
    #[diesel(embed)]
    pub(crate) object: ObjectColumns,
}

/// What was verified of a photo's object, as its nullable columns hold it: all `None` for a
/// photo recorded without verification.
#[derive(Debug, Default, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = photos, treat_none_as_default_value = false)]
pub(crate) struct ObjectColumns {
    pub(crate) object_size_bytes: Option<i64>,
    pub(crate) object_content_type: Option<String>,
    pub(crate) object_etag: Option<String>,
    pub(crate) object_sha256: Option<String>,
    pub(crate) object_verified_at: Option<PrimitiveDateTime>,
}

impl ObjectColumns {
    /// The columns of `object`, or all null.
    pub(crate) fn of(object: Option<&VerifiedObject>) -> Self {
        let Some(object) = object else { return Self::default() };
        Self {
            // A size over i64::MAX bytes cannot have been stored; it saturates rather than wraps.
            object_size_bytes: Some(i64::try_from(object.size_bytes).unwrap_or(i64::MAX)),
            object_content_type: Some(object.content_type.as_str().to_owned()),
            object_etag: Some(object.etag.clone()),
            object_sha256: object.sha256.map(|d| d.to_hex()),
            object_verified_at: Some(to_utc_timestamp(object.verified_at)),
        }
    }

    /// The domain's verified object; columns half filled are a fault of ours.
    pub(crate) fn into_object(self) -> Result<Option<VerifiedObject>, Error> {
        match (self.object_size_bytes, self.object_content_type, self.object_etag, self.object_verified_at) {
            (None, None, None, None) if self.object_sha256.is_none() => Ok(None),
            (Some(size), Some(content_type), Some(etag), Some(verified_at)) => Ok(Some(VerifiedObject {
                size_bytes: u64::try_from(size).map_err(Error::internal)?,
                content_type: PhotoContentType::parse(&content_type).map_err(Error::internal)?,
                etag,
                sha256: self
                    .object_sha256
                    .as_deref()
                    .map(Sha256Digest::parse_hex)
                    .transpose()
                    .map_err(Error::internal)?,
                verified_at: verified_at.assume_utc(),
            })),
            _ => Err(Error::internal("a photo's object columns are half filled")),
        }
    }
}

impl<'a> From<&'a NewPhoto> for NewPhotoRow<'a> {
    fn from(photo: &'a NewPhoto) -> Self {
        Self {
            object: ObjectColumns::of(photo.object.as_ref()),
            tenant_id: photo.tenant.as_str(),
            id: photo.photo_id.to_string(),
            work_order_id: photo.work_order_id.to_string(),
            object_key: photo.object_key.as_str(),
            cdn_url: photo.cdn_url.as_str(),
            taken_at: to_utc_timestamp(photo.taken_at.instant()),
            step: photo.step.as_ref().map(Step::as_str),
            created_at: to_utc_timestamp(photo.recorded_at),
            api_key_id: photo.attached_by.to_string(),
        }
    }
}

/// A photo as the read side reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = photos)]
pub(crate) struct PhotoRow {
    id: String,
    object_key: String,
    cdn_url: String,
    taken_at: PrimitiveDateTime,
    step: Option<String>,
    created_at: PrimitiveDateTime,
    #[diesel(embed)]
    object: ObjectColumns,
}

impl PhotoRow {
    /// The domain's view; a row that breaks a rule is a fault of ours, not the client's.
    pub(crate) fn into_view(self) -> Result<PhotoView, Error> {
        let object_key = ObjectKey::parse(&self.object_key).map_err(Error::internal)?;
        let created_at = self.created_at.assume_utc();
        let recorded =
            RecordedPhotoRow { id: self.id, cdn_url: self.cdn_url, taken_at: self.taken_at, step: self.step }
                .into_recorded()?;
        Ok(PhotoView {
            photo_id: recorded.photo_id,
            object_key,
            cdn_url: recorded.cdn_url,
            taken_at: recorded.taken_at,
            step: recorded.step,
            created_at,
            object: self.object.into_object()?,
        })
    }
}

/// The part of a recorded photo that tells a retry from a conflict.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = photos)]
pub(crate) struct RecordedPhotoRow {
    pub(crate) id: String,
    pub(crate) cdn_url: String,
    pub(crate) taken_at: PrimitiveDateTime,
    pub(crate) step: Option<String>,
}

impl RecordedPhotoRow {
    /// The domain's view; a row that breaks a rule is a fault of ours.
    pub(crate) fn into_recorded(self) -> Result<RecordedPhoto, Error> {
        Ok(RecordedPhoto {
            photo_id: self.id.parse().map_err(Error::internal)?,
            cdn_url: CdnUrl::parse(&self.cdn_url).map_err(Error::internal)?,
            taken_at: TakenAt::from_instant(self.taken_at.assume_utc()).map_err(Error::internal)?,
            step: self.step.as_deref().map(Step::parse).transpose().map_err(Error::internal)?,
        })
    }
}
