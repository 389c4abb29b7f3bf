//! The OpenAPI 3.1 document, generated from the code so that it cannot drift: the routes and
//! their success bodies come from `#[utoipa::path]` on the handlers; every error answer is
//! added here from the same [`ApiError`] payloads the server sends, one example per code.

use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi, ToSchema};
use workorder_domain::{Error, Field, FieldError, WorkOrderStatus};

use crate::error::{ApiError, ErrorPayload};
use crate::routes::{attach_photo, events, health, photo_uploads, photos, work_orders};

/// The contract's error body.
#[derive(Debug, ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[schema(as = ErrorBody)]
pub(crate) struct ErrorBodySchema {
    /// The machine code, e.g. `WORK_ORDER_NOT_FOUND`.
    code: String,
    /// A human-readable message, in French.
    message: String,
    /// The HTTP status, repeated.
    status: u16,
    /// The request's correlation id, equal to the `X-Trace-Id` header.
    trace_id: String,
    /// The domain that raised the error; absent for transport errors.
    origin: Option<OriginSchema>,
    /// The bad fields, for validation errors.
    details: Option<Vec<DetailSchema>>,
}

/// The domain that raised an error.
#[derive(Debug, ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[schema(as = ErrorOrigin)]
pub(crate) struct OriginSchema {
    /// e.g. `workorder`.
    bounded_context: String,
    /// e.g. `work-orders`.
    module: String,
}

/// One bad field.
#[derive(Debug, ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[schema(as = ErrorDetail)]
pub(crate) struct DetailSchema {
    /// The field, as named in the request.
    field: String,
    /// Why, in French.
    message: String,
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "workorder",
        description = "Attach photos, already uploaded to object storage, to field-service work orders.",
        contact(name = "The workorder maintainers"),
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    servers((url = "http://127.0.0.1:8080", description = "The default address (WORKORDER_BIND); a deployment has its own")),
    paths(
        attach_photo::attach_photo,
        photo_uploads::issue_upload_ticket,
        photos::list_photos,
        photos::get_photo,
        work_orders::get_work_order,
        events::list_events,
        health::healthz,
        health::readyz,
        health::healthz_head,
        health::readyz_head,
        crate::metrics::metrics,
        crate::serve_openapi,
    ),
    components(schemas(ErrorBodySchema, OriginSchema, DetailSchema)),
    modifiers(&ContractErrors),
    tags(
        (name = "photos", description = "Photos of work orders"),
        (name = "work-orders", description = "Work orders"),
        (name = "events", description = "What happened to a tenant's work orders, to follow by pull or push"),
        (name = "operations", description = "Probes and metrics"),
    )
)]
pub struct ApiDoc;

/// The document as the server serves it and `docs/openapi.json` holds it.
pub fn openapi_json() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// Each answer the document lists: the operation's method, its route (the pattern the app
/// routes, as `match_pattern` gives it) and a status. The metrics create their request series
/// from it, so a route or a status added to the document is counted from the start.
pub(crate) fn documented_answers() -> Vec<(&'static str, String, u16)> {
    let document = ApiDoc::openapi();
    let mut answers = Vec::new();
    for (route, item) in &document.paths.paths {
        let operations = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put)].into_iter().chain([
            ("DELETE", &item.delete),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
        ]);
        for (method, operation) in operations {
            let statuses = operation.iter().flat_map(|op| op.responses.responses.keys());
            for status in statuses.filter_map(|s| s.parse().ok()) {
                answers.push((method, route.clone(), status));
            }
        }
    }
    answers
}

fn field(field: Field, message: &str) -> FieldError {
    FieldError::new(field, message)
}

/// The document's operations. Errors are listed per operation by an exhaustive match, so an
/// operation added to the document without its errors fails [`Operation::from_id`]'s test,
/// and one added here does not compile until its errors are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    AttachPhoto,
    CreatePhotoUpload,
    ListPhotos,
    GetPhoto,
    GetWorkOrder,
    ListEvents,
    Healthz,
    Readyz,
    HealthzHead,
    ReadyzHead,
    Metrics,
    OpenApi,
}

impl Operation {
    const ALL: [Operation; 12] = [
        Operation::AttachPhoto,
        Operation::CreatePhotoUpload,
        Operation::ListPhotos,
        Operation::GetPhoto,
        Operation::GetWorkOrder,
        Operation::ListEvents,
        Operation::Healthz,
        Operation::Readyz,
        Operation::HealthzHead,
        Operation::ReadyzHead,
        Operation::Metrics,
        Operation::OpenApi,
    ];

    /// The `operationId` its handler's `#[utoipa::path]` declares.
    fn id(self) -> &'static str {
        match self {
            Operation::AttachPhoto => "attachPhoto",
            Operation::CreatePhotoUpload => "createPhotoUpload",
            Operation::ListPhotos => "listPhotos",
            Operation::GetPhoto => "getPhoto",
            Operation::GetWorkOrder => "getWorkOrder",
            Operation::ListEvents => "listEvents",
            Operation::Healthz => "healthz",
            Operation::Readyz => "readyz",
            Operation::HealthzHead => "healthzHead",
            Operation::ReadyzHead => "readyzHead",
            Operation::Metrics => "metrics",
            Operation::OpenApi => "openapi",
        }
    }

    /// Its description, where its handler's doc comment has only a summary: the document has
    /// one for every operation.
    fn description(self) -> Option<&'static str> {
        match self {
            Operation::AttachPhoto | Operation::CreatePhotoUpload | Operation::Metrics => None,
            Operation::ListPhotos => Some(
                "The work order's photos, oldest takenAt first, a page at a time; pass the answer's cursor to get the next page.",
            ),
            Operation::GetPhoto => Some("One photo of the work order, as it was recorded."),
            Operation::GetWorkOrder => {
                Some("The work order's status, title, photo count and times, for the key's tenant.")
            }
            Operation::ListEvents => Some(
                "The tenant's events in the order they happened, without gaps; pass the answer's cursor to follow on.",
            ),
            Operation::Healthz | Operation::HealthzHead => {
                Some("200 once the process serves; it asks nothing of the database. No key.")
            }
            Operation::Readyz | Operation::ReadyzHead => {
                Some("200 when the database answers, 503 when it does not. No key.")
            }
            Operation::OpenApi => Some("This document. No key."),
        }
    }

    fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.id() == id)
    }

    /// The errors the operation can answer, as the server makes them.
    fn errors(self) -> Vec<ApiError> {
        let unauthenticated = ApiError::Domain(Error::Unauthenticated);
        let bad_id = ApiError::Domain(Error::InvalidWorkOrderId);
        let not_found = ApiError::Domain(Error::WorkOrderNotFound);
        let unavailable = ApiError::Domain(Error::unavailable("example"));
        let authenticated = |mut errors: Vec<ApiError>| {
            errors.push(ApiError::TooManyRequests { retry_after: std::time::Duration::from_secs(60) });
            errors.push(ApiError::Domain(Error::unavailable("example")));
            errors.push(ApiError::Domain(Error::internal("example")));
            errors
        };
        let mut errors = match self {
            Operation::AttachPhoto => authenticated(vec![
                ApiError::Domain(Error::InvalidPhoto(vec![
                    field(Field::MinioObjectKey, "contient un segment « . » ou « .. »"),
                    field(Field::TakenAt, "doit être une date-heure RFC 3339 avec décalage (Z ou ±hh:mm)"),
                ])),
                bad_id,
                unauthenticated,
                not_found,
                ApiError::Domain(Error::WorkOrderClosed(WorkOrderStatus::Closed)),
                ApiError::Domain(Error::PhotoConflict),
                ApiError::Domain(Error::PhotoObjectNotFound),
                ApiError::Domain(Error::PhotoObjectRejected(vec![
                    field(Field::Size, "dépasse la taille maximale de 26214400 octets"),
                    field(Field::Content, "les premiers octets ne sont pas ceux d'une image image/jpeg"),
                ])),
                ApiError::PayloadTooLarge,
                ApiError::UnsupportedMediaType,
                ApiError::RequestTimeout,
            ]),
            Operation::CreatePhotoUpload => authenticated(vec![
                ApiError::Domain(Error::InvalidUpload(vec![
                    field(Field::ContentType, "type non accepté ; types acceptés : image/jpeg, image/png"),
                    field(Field::Sha256, "doit être 64 chiffres hexadécimaux"),
                ])),
                bad_id,
                unauthenticated,
                not_found,
                ApiError::Domain(Error::WorkOrderClosed(WorkOrderStatus::Closed)),
                ApiError::Domain(Error::ObjectStoreNotConfigured),
                ApiError::PayloadTooLarge,
                ApiError::UnsupportedMediaType,
                ApiError::RequestTimeout,
            ]),
            Operation::ListPhotos => authenticated(vec![
                bad_id,
                ApiError::Domain(Error::InvalidQuery(vec![field(
                    Field::Limit,
                    "doit être un entier de 1 à 200",
                )])),
                unauthenticated,
                not_found,
            ]),
            Operation::GetPhoto => authenticated(vec![
                bad_id,
                ApiError::Domain(Error::InvalidPhotoId),
                unauthenticated,
                not_found,
                ApiError::Domain(Error::PhotoNotFound),
            ]),
            Operation::GetWorkOrder => authenticated(vec![bad_id, unauthenticated, not_found]),
            Operation::ListEvents => authenticated(vec![
                ApiError::Domain(Error::InvalidFeedQuery(vec![field(Field::After, "curseur invalide")])),
                unauthenticated,
            ]),
            Operation::Readyz | Operation::ReadyzHead => vec![unavailable],
            Operation::Healthz | Operation::HealthzHead | Operation::Metrics | Operation::OpenApi => {
                Vec::new()
            }
        };
        errors.push(ApiError::MethodNotAllowed);
        errors
    }
}

struct ContractErrors;

impl Modify for ContractErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ApiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "A key from `workorder-http api-key create`; it names one tenant",
            ))),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post, &mut item.head].into_iter().flatten() {
                describe(operation);
            }
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                add_errors(operation);
                add_trace_ids(operation);
            }
            if let Some(operation) = &mut item.head {
                add_errors(operation);
                add_trace_ids(operation);
                // A HEAD answer has the GET's status and headers, never a body.
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        response.content.clear();
                    }
                }
            }
        }
    }
}

/// Fills the operation's description from [`Operation::description`], and says that a route
/// that declares no key needs none (`security: []`).
fn describe(operation: &mut utoipa::openapi::path::Operation) {
    let known = Operation::from_id(operation.operation_id.as_deref().unwrap_or_default());
    if let Some(description) = known.and_then(Operation::description) {
        operation.description.get_or_insert_with(|| description.to_owned());
    }
    operation.security.get_or_insert_with(Vec::new);
}

fn add_errors(operation: &mut utoipa::openapi::path::Operation) {
    let id = operation.operation_id.as_deref().unwrap_or_default();
    // An operation missing from `Operation` lists no errors here; the test below fails then.
    let errors = Operation::from_id(id).map(Operation::errors).unwrap_or_default();
    let mut by_status: Vec<(u16, Vec<ErrorPayload>)> = Vec::new();
    for payload in errors.iter().map(ApiError::payload) {
        let status = payload.status.as_u16();
        match by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, payloads)) => payloads.push(payload),
            None => by_status.push((status, vec![payload])),
        }
    }
    for (status, payloads) in by_status {
        let examples = payloads.iter().map(|payload| {
            let value = serde_json::to_value(payload.body("01JD8X7N6Q9V5T2W3Y4Z5A6B7C")).unwrap_or_default();
            (payload.code, ExampleBuilder::new().summary(payload.message).value(Some(value)).build())
        });
        let content =
            ContentBuilder::new().schema(Some(error_body_with_codes(&payloads))).examples_from_iter(examples);
        let description = payloads.iter().map(|p| p.code).collect::<Vec<_>>().join(", ");
        let mut response =
            ResponseBuilder::new().description(description).content("application/json", content.build());
        if status == 503 || status == 429 {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::Integer))
                    .description(Some("Seconds to wait"))
                    .build(),
            );
        }
        operation.responses.responses.insert(status.to_string(), RefOr::T(response.build()));
    }
}

/// The error body, its `code` narrowed to the codes this operation answers with this status, so
/// that a generated client can match on them.
fn error_body_with_codes(payloads: &[ErrorPayload]) -> RefOr<utoipa::openapi::Schema> {
    let mut codes: Vec<&str> = Vec::new();
    for payload in payloads {
        if !codes.contains(&payload.code) {
            codes.push(payload.code);
        }
    }
    let code = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes));
    AllOfBuilder::new()
        .item(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .item(ObjectBuilder::new().property("code", code))
        .into()
}

fn add_trace_ids(operation: &mut utoipa::openapi::path::Operation) {
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.insert(
                "X-Trace-Id".to_owned(),
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::String))
                    .description(Some("The request's correlation id: the client's own (1 to 64 of [A-Za-z0-9._-]), else the trace-id of a valid W3C traceparent, else a new ULID"))
                    .build(),
            );
            response.headers.insert(
                "traceparent".to_owned(),
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::String))
                    .description(Some("W3C Trace Context: the request's trace (from its traceparent, or its trace id in W3C form) and a span id of the service"))
                    .build(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_document_has_its_errors_listed() {
        let document = ApiDoc::openapi();
        let mut ids: Vec<String> = document
            .paths
            .paths
            .values()
            .flat_map(|item| [&item.get, &item.post, &item.put, &item.delete, &item.head])
            .flatten()
            .map(|operation| operation.operation_id.clone().unwrap_or_default())
            .collect();
        ids.sort();
        let mut known: Vec<String> = Operation::ALL.iter().map(|op| op.id().to_owned()).collect();
        known.sort();
        assert_eq!(ids, known);
    }
}
