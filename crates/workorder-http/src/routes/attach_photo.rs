//! `POST /v1/work-orders/{id}/photos`: attach a photo to a work order.
//!
//! Checks run in the contract's order: the key (401), the path (400), the media type (415),
//! the size (413), the body (400), then the domain (404, 409).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use workorder_domain::{
    AttachPhoto, AttachPhotoCommand, BodyProblem, Disposition, Error, FieldInput, PhotoInput, Principal,
    WorkOrderId,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, WorkOrderPath};

/// The largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The longest a body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An attach's request. Every bad field is reported, not only the first; unknown fields are
/// ignored; a duplicated field is refused.
// Each field is kept as raw JSON so that every bad one can be reported.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "minioObjectKey": "acme/wo-2489e9ad/front.jpg",
    "cdnUrl": "https://cdn.example.com/acme/wo-2489e9ad/front.jpg",
    "takenAt": "2026-04-15T12:00:00Z",
    "step": "before"
}))]
pub(crate) struct AttachPhotoBody {
    /// The object's key in MinIO: 1 to 1024 bytes, no control character, no leading `/`, no
    /// empty, `.` or `..` segment, no segment over 255 bytes.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1024)]
    minio_object_key: Option<Value>,
    /// Where the CDN serves the photo: absolute http(s) URL with a host, no user-info, at
    /// most 2048 characters; its host must be allowed when the server has an allow-list.
    #[schema(value_type = String, format = Uri, required = true, max_length = 2048)]
    cdn_url: Option<Value>,
    /// When the photo was taken: RFC 3339 with an offset, from 2000-01-01T00:00:00Z, at most
    /// the allowed clock skew (5 minutes by default) in the server's future.
    #[schema(value_type = String, format = DateTime, required = true)]
    taken_at: Option<Value>,
    /// The step documented: 1 to 100 characters once trimmed; absent or null for none.
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    step: Option<Value>,
}

/// What an attach answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attached {
    /// The work order, canonical lowercase hyphenated.
    #[schema(format = Uuid)]
    work_order_id: String,
    /// The work order's status.
    #[schema(example = "IN_PROGRESS")]
    status: &'static str,
    /// The photo's id (a ULID); the first one for a retry.
    #[schema(example = "01JD8X7N6Q9V5T2W3Y4Z5A6B7C")]
    photo_id: String,
}

/// `{"data": …}` around an attach's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttachedResponse {
    data: Attached,
}

/// Attach a photo (already in object storage) to a work order.
///
/// A retry with the same `minioObjectKey` and the same data answers 200 with the first
/// `photoId`; other data under the same key answers 409 `PHOTO_CONFLICT`. With object storage
/// configured, the key must start with the tenant's `{tenant}/`, and a new photo's object is
/// read first: 422 when it is missing or not an accepted photo, 503 when the store is down.
#[utoipa::path(
    post,
    path = "/v1/work-orders/{id}/photos",
    operation_id = "attachPhoto",
    tag = "photos",
    params(("id" = String, Path, format = Uuid, description = "The work order's id: a UUID, any case, hyphenated")),
    request_body(content = AttachPhotoBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Photo attached", body = AttachedResponse,
            headers(("Location" = String, description = "/v1/work-orders/{id}/photos/{photoId}"))),
        (status = 200, description = "Photo already attached (a retry)", body = AttachedResponse,
            headers(("Location" = String, description = "/v1/work-orders/{id}/photos/{photoId}"))),
    ),
    security(("ApiKey" = []))
)]
pub(crate) async fn attach_photo(
    Authenticated(principal): Authenticated,
    WorkOrderPath(id): WorkOrderPath,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_json(&req)?;
    let bytes = read_body(&req, payload).await?;
    let command = decode(&state.attach, Some(&principal), id, &bytes)?;

    let answer = state.attach.attach(&principal, command).await;
    if state.object_storage_configured() {
        let outcome = match &answer {
            Ok(o) if o.disposition == Disposition::Created => Some("accepted"),
            Err(Error::PhotoObjectNotFound) => Some("not_found"),
            Err(Error::PhotoObjectRejected(_)) => Some("rejected"),
            _ => None,
        };
        if let Some(outcome) = outcome {
            state.metrics.observe_verification(outcome);
        }
    }
    let outcome = answer?;
    state.metrics.observe_attach(outcome.disposition);
    let status = match outcome.disposition {
        Disposition::Created => StatusCode::CREATED,
        Disposition::AlreadyAttached => StatusCode::OK,
    };
    let location = format!("/v1/work-orders/{}/photos/{}", outcome.work_order_id, outcome.photo_id);
    Ok(HttpResponse::build(status).insert_header((header::LOCATION, location)).json(AttachedResponse {
        data: Attached {
            work_order_id: outcome.work_order_id.to_string(),
            status: outcome.status.as_str(),
            photo_id: outcome.photo_id.to_string(),
        },
    }))
}

/// Decodes an attach request's body into a checked command, reporting every bad field:
/// malformed JSON, a body that is not an object, a duplicated field, a field of the wrong
/// type, and every rule of the domain, for the work order the path named.
pub fn decode_command(
    service: &AttachPhoto,
    work_order_id: WorkOrderId,
    bytes: &[u8],
) -> Result<AttachPhotoCommand, ApiError> {
    decode(service, None, work_order_id, bytes)
}

/// [`decode_command`] for the caller, whose tenant the key must lie under when object
/// storage is configured.
fn decode(
    service: &AttachPhoto,
    principal: Option<&Principal>,
    work_order_id: WorkOrderId,
    bytes: &[u8],
) -> Result<AttachPhotoCommand, ApiError> {
    let body: AttachPhotoBody = parse_json_object(bytes).map_err(Error::from)?;
    let input = PhotoInput {
        minio_object_key: field_input(body.minio_object_key.as_ref()),
        cdn_url: field_input(body.cdn_url.as_ref()),
        taken_at: field_input(body.taken_at.as_ref()),
        step: field_input(body.step.as_ref()),
    };
    Ok(service.command_from_input(principal, work_order_id, input)?)
}

/// `application/json`, with parameters; a charset, if given, must be UTF-8.
pub(crate) fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .ok_or(ApiError::UnsupportedMediaType)?;
    let charset_ok = mime.get_param(mime::CHARSET).is_none_or(|c| c == mime::UTF_8);
    if mime.type_() == mime::APPLICATION
        && mime.subtype() == mime::JSON
        && mime.suffix().is_none()
        && charset_ok
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// The body, refused as soon as it is known to pass the limit.
pub(crate) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::invalid_body("corps de requête incomplet ou mal encodé"))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    // actix bounds the time to receive a request's head, not its body: a client trickling
    // 16 KiB must not hold a worker's slot for ever.
    tokio::time::timeout(BODY_TIMEOUT, read).await.map_err(|_| ApiError::RequestTimeout)?
}

/// A body that must be a JSON object, or the domain's name for what is wrong with it.
pub(crate) fn parse_json_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyProblem> {
    // serde_json skips an ignored field's string without decoding it, so an invalid byte in
    // an unknown field would pass: the whole body must be UTF-8 (RFC 8259, section 8.1).
    let text = std::str::from_utf8(bytes).map_err(|e| BodyProblem::NotUtf8 { byte: e.valid_up_to() + 1 })?;
    let body: T = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
    // serde fills a struct from an array too ([key, url, takenAt, step]); the body must be an
    // object. It parsed, so the first byte that is not white space is `{` or `[`.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyProblem::NotAnObject);
    }
    Ok(body)
}

fn json_problem(error: &serde_json::Error) -> BodyProblem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            BodyProblem::Malformed { line: error.line(), column: error.column() }
        }
        Category::Data => BodyProblem::NotAnObject,
    }
}

/// A field as the domain takes it: absent, `null`, text, or of another type.
pub(crate) fn field_input(value: Option<&Value>) -> FieldInput<'_> {
    match value {
        None => FieldInput::Absent,
        Some(Value::Null) => FieldInput::Null,
        Some(Value::String(s)) => FieldInput::Text(s),
        Some(_) => FieldInput::WrongType,
    }
}
