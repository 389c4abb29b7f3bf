//! `POST /v1/work-orders/{id}/photo-uploads`: an upload ticket, a presigned PUT to object
//! storage under a key the service chooses.
//!
//! Checks run in the contract's order: the key (401), object storage configured (501), the
//! path (400), the media type (415), the size (413), the body (400, origin storage/uploads),
//! then the work order (404, 409).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use workorder_domain::{Error, Field, FieldError, IssueUploadTicket, UploadFields, rfc3339};

use crate::error::ApiError;
use crate::extract::{Authenticated, UploadTickets, WorkOrderPath};
use crate::routes::attach_photo::{field_input, parse_json_object, read_body, require_json};

/// A ticket's request. Every bad field is reported, not only the first.
// Each field is kept as raw JSON so that every bad one can be reported.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"contentType": "image/jpeg", "contentLength": 482113,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub(crate) struct UploadTicketBody {
    /// The photo's media type: one of the accepted ones (by default `image/jpeg`,
    /// `image/png`, `image/heic`, `image/heif`, `image/webp`).
    #[schema(value_type = String, required = true)]
    content_type: Option<Value>,
    /// The exact size the upload will have, 1 to the maximum (25 MiB by default); the
    /// signature then covers `Content-Length`.
    #[schema(value_type = Option<u64>, minimum = 1)]
    content_length: Option<Value>,
    /// The SHA-256 of the photo, 64 hexadecimal digits; the store then checks the upload
    /// against it (`x-amz-checksum-sha256`).
    #[schema(value_type = Option<String>, pattern = "^[0-9a-fA-F]{64}$")]
    sha256: Option<Value>,
}

/// An upload ticket.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadTicketData {
    /// The key to upload to and then attach: `{tenant}/{workOrderId}/{ULID}.{ext}`.
    #[schema(example = "acme/2489e9ad-2ee2-8e00-8ec9-32d5f69181c0/01JD8X7N6Q9V5T2W3Y4Z5A6B7C.jpg")]
    minio_object_key: String,
    /// The presigned S3 URL (SigV4) to PUT the photo's bytes to.
    #[schema(format = Uri)]
    upload_url: String,
    /// Always `PUT`.
    #[schema(example = "PUT")]
    method: &'static str,
    /// Every header the PUT must carry, each covered by the signature.
    #[schema(example = json!({"Content-Type": "image/jpeg"}))]
    headers: BTreeMap<String, String>,
    /// When the URL stops being valid (RFC 3339, UTC).
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `{"data": …}` around a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UploadTicketResponse {
    data: UploadTicketData,
}

/// Get an upload ticket for a photo of a work order.
///
/// Answers 501 `OBJECT_STORE_NOT_CONFIGURED` when the service has no object storage.
#[utoipa::path(
    post,
    path = "/v1/work-orders/{id}/photo-uploads",
    operation_id = "createPhotoUpload",
    tag = "photos",
    params(("id" = String, Path, format = Uuid, description = "The work order's id: a UUID, any case, hyphenated")),
    request_body(content = UploadTicketBody, content_type = "application/json"),
    responses((status = 201, description = "An upload ticket", body = UploadTicketResponse)),
    security(("ApiKey" = []))
)]
pub(crate) async fn issue_upload_ticket(
    Authenticated(principal): Authenticated,
    UploadTickets(tickets): UploadTickets,
    WorkOrderPath(id): WorkOrderPath,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_json(&req)?;
    let bytes = read_body(&req, payload).await?;
    let command = decode(&tickets, &bytes)?;
    let ticket = tickets.issue(&principal, id, command).await?;
    Ok(HttpResponse::Created().json(UploadTicketResponse {
        data: UploadTicketData {
            minio_object_key: ticket.object_key.as_str().to_owned(),
            upload_url: ticket.upload_url,
            method: "PUT",
            headers: ticket.headers.into_iter().collect(),
            expires_at: rfc3339(ticket.expires_at),
        },
    }))
}

/// The body into a checked command, every bad field reported with the upload's origin.
fn decode(tickets: &IssueUploadTicket, bytes: &[u8]) -> Result<workorder_domain::UploadCommand, ApiError> {
    let invalid = |errors| ApiError::Domain(Error::InvalidUpload(errors));
    let body: UploadTicketBody =
        parse_json_object(bytes).map_err(|problem| invalid(vec![problem.field_error()]))?;
    let mut errors = Vec::new();
    let content_type = field_input(body.content_type.as_ref()).text(Field::ContentType, &mut errors);
    let content_length = match &body.content_length {
        None | Some(Value::Null) => None,
        Some(value) => {
            let length = value.as_u64();
            if length.is_none() {
                errors.push(FieldError::new(Field::ContentLength, "doit être un entier positif"));
            }
            length
        }
    };
    let sha256 = field_input(body.sha256.as_ref()).text(Field::Sha256, &mut errors);
    let fields = UploadFields { content_type, content_length, sha256 };
    match tickets.command(fields) {
        Ok(command) if errors.is_empty() => Ok(command),
        Ok(_) => Err(invalid(errors)),
        Err(Error::InvalidUpload(more)) => {
            // A field of the wrong type reached the domain as absent: keep only our message.
            errors.extend(
                more.into_iter()
                    .filter(|e| !errors.iter().any(|t| t.field() == e.field()))
                    .collect::<Vec<_>>(),
            );
            errors.sort_by_key(FieldError::field);
            Err(invalid(errors))
        }
        Err(other) => Err(other.into()),
    }
}
