//! `GET /v1/work-orders/{id}/photos` (a page of photos) and
//! `GET /v1/work-orders/{id}/photos/{photoId}` (one photo).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use workorder_domain::{Error, Field, PhotoView, VerifiedObject, rfc3339};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, WorkOrderPath, single_query_parameters};

/// A photo of a work order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhotoBody {
    /// Its id (a ULID).
    photo_id: String,
    /// Its key in MinIO.
    minio_object_key: String,
    /// Where the CDN serves it.
    #[schema(format = Uri)]
    cdn_url: String,
    /// When it was taken (RFC 3339, UTC).
    #[schema(format = DateTime)]
    taken_at: String,
    /// The step it documents, or null.
    step: Option<String>,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    created_at: String,
    /// What was verified of its object in object storage; null for a photo recorded without
    /// verification.
    object: Option<ObjectBody>,
}

/// What was verified of a photo's object when it was recorded.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectBody {
    /// Its size in bytes.
    #[schema(example = 482113)]
    size_bytes: u64,
    /// Its stored content type.
    #[schema(example = "image/jpeg")]
    content_type: &'static str,
    /// Its ETag in the store.
    etag: String,
    /// Its SHA-256 (hex) when the store knew it, else null.
    sha256: Option<String>,
    /// When it was verified (RFC 3339, UTC).
    #[schema(format = DateTime)]
    verified_at: String,
}

impl From<VerifiedObject> for ObjectBody {
    fn from(object: VerifiedObject) -> Self {
        Self {
            size_bytes: object.size_bytes,
            content_type: object.content_type.as_str(),
            etag: object.etag,
            sha256: object.sha256.map(|d| d.to_hex()),
            verified_at: rfc3339(object.verified_at),
        }
    }
}

impl From<PhotoView> for PhotoBody {
    fn from(view: PhotoView) -> Self {
        Self {
            photo_id: view.photo_id.to_string(),
            minio_object_key: view.object_key.as_str().to_owned(),
            cdn_url: view.cdn_url.as_str().to_owned(),
            taken_at: rfc3339(view.taken_at.instant()),
            step: view.step.map(|s| s.as_str().to_owned()),
            created_at: rfc3339(view.created_at),
            object: view.object.map(ObjectBody::from),
        }
    }
}

/// `{"data": …}` around a photo.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PhotoResponse {
    data: PhotoBody,
}

/// A page of photos.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhotoListResponse {
    /// The photos, by `takenAt` then `photoId`.
    data: Vec<PhotoBody>,
    /// Pass as `cursor` for the next page; absent on the last page. Opaque.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// A work order's photos, by `takenAt` then `photoId`, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/work-orders/{id}/photos",
    operation_id = "listPhotos",
    tag = "photos",
    params(
        ("id" = String, Path, format = Uuid, description = "The work order's id"),
        ("limit" = Option<u16>, Query, minimum = 1, maximum = 200, description = "Photos per page, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "The `nextCursor` of the previous page"),
    ),
    responses((status = 200, description = "A page of photos", body = PhotoListResponse)),
    security(("ApiKey" = []))
)]
pub(crate) async fn list_photos(
    Authenticated(principal): Authenticated,
    WorkOrderPath(id): WorkOrderPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // The query after the path, as the contract orders checks.
    let names = [("limit", Field::Limit), ("cursor", Field::Cursor)];
    let [limit, cursor] =
        single_query_parameters(req.query_string(), names, Field::Cursor).map_err(Error::InvalidQuery)?;
    let page = state.list_photos.list(&principal, id, limit.as_deref(), cursor.as_deref()).await?;
    Ok(HttpResponse::Ok().json(PhotoListResponse {
        data: page.photos.into_iter().map(PhotoBody::from).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// One photo of a work order: the target of an attach's `Location`.
#[utoipa::path(
    get,
    path = "/v1/work-orders/{id}/photos/{photoId}",
    operation_id = "getPhoto",
    tag = "photos",
    params(
        ("id" = String, Path, format = Uuid, description = "The work order's id"),
        ("photoId" = String, Path, description = "The photo's id (a ULID)"),
    ),
    responses((status = 200, description = "The photo", body = PhotoResponse)),
    security(("ApiKey" = []))
)]
pub(crate) async fn get_photo(
    Authenticated(principal): Authenticated,
    WorkOrderPath(id): WorkOrderPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let photo_id = req.match_info().get("photoId").unwrap_or_default();
    let photo = state.get_photo.get(&principal, id, photo_id).await?;
    Ok(HttpResponse::Ok().json(PhotoResponse { data: photo.into() }))
}
