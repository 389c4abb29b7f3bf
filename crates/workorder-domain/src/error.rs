//! The one error type of the domain.
//!
//! Every variant knows its machine code, its origin, its kind and its French message, so that an
//! adapter (HTTP, a message consumer, an embedding service) maps errors without a table of its
//! own. Infrastructure failures keep their source for the log and show clients nothing of it.

mod field_error;

pub use field_error::{Field, FieldError};

use crate::work_order::WorkOrderStatus;

/// A boxed error from an adapter, kept as the source of [`Error::Unavailable`] and
/// [`Error::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when attaching a photo or reading work orders and photos, in
/// the business's words.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The presented API key is missing, empty, unknown or revoked.
    #[error("the API key is missing, unknown or revoked")]
    Unauthenticated,
    /// The work-order id is not a hyphenated UUID.
    #[error("the work-order id is not a hyphenated UUID")]
    InvalidWorkOrderId,
    /// One or more fields of the photo break a rule; every bad field is listed.
    #[error("invalid photo: {}", display_fields(.0))]
    InvalidPhoto(Vec<FieldError>),
    /// The photo id in a path is not a ULID.
    #[error("the photo id is not a ULID")]
    InvalidPhotoId,
    /// A query parameter (page size, cursor) breaks a rule; every bad one is listed.
    #[error("invalid query: {}", display_fields(.0))]
    InvalidQuery(Vec<FieldError>),
    /// A parameter of the events feed (page size, cursor) breaks a rule; every bad one is
    /// listed. The same code as [`Error::InvalidQuery`], raised by the events module.
    #[error("invalid feed query: {}", display_fields(.0))]
    InvalidFeedQuery(Vec<FieldError>),
    /// No work order with this id in the caller's tenant (another tenant's work order is
    /// reported the same way, on purpose).
    #[error("work order not found")]
    WorkOrderNotFound,
    /// No photo with this id on this work order in the caller's tenant.
    #[error("photo not found")]
    PhotoNotFound,
    /// The work order is closed or cancelled and accepts no more photos.
    #[error("work order is {0} and accepts no photos")]
    WorkOrderClosed(WorkOrderStatus),
    /// The object key is already attached to this work order with other data.
    #[error("object key already attached to this work order with other data")]
    PhotoConflict,
    /// The store cannot be reached now (down, or no connection within the timeout); retrying
    /// later may succeed.
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    /// The store failed in a way a retry will not fix, or an invariant broke.
    #[error("the store failed")]
    Internal(#[source] BoxError),
    /// An upload ticket was asked of a service that has no object storage.
    #[error("no object storage is configured")]
    ObjectStoreNotConfigured,
    /// One or more fields of an upload ticket's request break a rule; every bad one is listed.
    #[error("invalid upload: {}", display_fields(.0))]
    InvalidUpload(Vec<FieldError>),
    /// The photo's object is not in the bucket.
    #[error("the photo's object is not in object storage")]
    PhotoObjectNotFound,
    /// The photo's object is not an acceptable photo; every reason is listed (`size`,
    /// `contentType`, `content`).
    #[error("the photo's object is refused: {}", display_fields(.0))]
    PhotoObjectRejected(Vec<FieldError>),
}

impl From<crate::identity::EmptyApiKeySecret> for Error {
    /// An empty key is a missing one.
    fn from(_: crate::identity::EmptyApiKeySecret) -> Self {
        Error::Unauthenticated
    }
}

impl From<crate::work_order::InvalidWorkOrderId> for Error {
    fn from(_: crate::work_order::InvalidWorkOrderId) -> Self {
        Error::InvalidWorkOrderId
    }
}

/// What kind of failure an [`Error`] is, independent of any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller could not be authenticated.
    Unauthenticated,
    /// The caller's input breaks a rule.
    InvalidInput,
    /// The thing asked for does not exist (for this caller).
    NotFound,
    /// The request contradicts the current state.
    Conflict,
    /// A dependency is down; retry later.
    Unavailable,
    /// A fault on our side.
    Internal,
    /// The request is well formed but what it points at cannot be accepted (a photo's object
    /// missing or refused).
    Unprocessable,
    /// The service is not configured for what was asked.
    NotConfigured,
}

/// Seconds a client should wait before retrying an unavailable service.
const RETRY_AFTER_SECS: u64 = 2;

impl ErrorKind {
    /// The HTTP status the contract answers for this kind. No `_` arm: a new kind does not
    /// compile until it is mapped.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Unauthenticated => 401,
            ErrorKind::InvalidInput => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
            ErrorKind::Unprocessable => 422,
            ErrorKind::NotConfigured => 501,
        }
    }

    /// Seconds for `Retry-After`: set for an unavailable service, which a retry may find back.
    pub fn retry_after_secs(self) -> Option<u64> {
        (self == ErrorKind::Unavailable).then_some(RETRY_AFTER_SECS)
    }
}

/// Which part of the system raised an error: its bounded context and module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The bounded context, e.g. `workorder`.
    pub bounded_context: &'static str,
    /// The module within it, e.g. `work-orders`.
    pub module: &'static str,
}

impl Origin {
    const API_KEYS: Origin = Origin { bounded_context: "identity", module: "api-keys" };
    const WORK_ORDERS: Origin = Origin { bounded_context: "workorder", module: "work-orders" };
    const PHOTOS: Origin = Origin { bounded_context: "workorder", module: "photos" };
    const UPLOADS: Origin = Origin { bounded_context: "storage", module: "uploads" };
    const OBJECTS: Origin = Origin { bounded_context: "storage", module: "objects" };
    const EVENTS: Origin = Origin { bounded_context: "workorder", module: "events" };
}

impl Error {
    /// Seconds for `Retry-After`: set for an unavailable service, which a retry may find back.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.kind().retry_after_secs()
    }

    /// The stable machine code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::InvalidWorkOrderId => "INVALID_WORK_ORDER_ID",
            Error::InvalidPhoto(_) => "INVALID_BODY",
            Error::InvalidPhotoId => "INVALID_PHOTO_ID",
            Error::InvalidQuery(_) | Error::InvalidFeedQuery(_) => "INVALID_QUERY",
            Error::PhotoNotFound => "PHOTO_NOT_FOUND",
            Error::WorkOrderNotFound => "WORK_ORDER_NOT_FOUND",
            Error::WorkOrderClosed(_) => "WORK_ORDER_CLOSED",
            Error::PhotoConflict => "PHOTO_CONFLICT",
            Error::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Error::Internal(_) => "INTERNAL_ERROR",
            Error::ObjectStoreNotConfigured => "OBJECT_STORE_NOT_CONFIGURED",
            Error::InvalidUpload(_) => "INVALID_BODY",
            Error::PhotoObjectNotFound => "PHOTO_OBJECT_NOT_FOUND",
            Error::PhotoObjectRejected(_) => "PHOTO_OBJECT_REJECTED",
        }
    }

    /// The transport-independent kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unauthenticated => ErrorKind::Unauthenticated,
            Error::InvalidWorkOrderId
            | Error::InvalidPhoto(_)
            | Error::InvalidPhotoId
            | Error::InvalidQuery(_)
            | Error::InvalidUpload(_)
            | Error::InvalidFeedQuery(_) => ErrorKind::InvalidInput,
            Error::WorkOrderNotFound | Error::PhotoNotFound => ErrorKind::NotFound,
            Error::WorkOrderClosed(_) | Error::PhotoConflict => ErrorKind::Conflict,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Internal(_) => ErrorKind::Internal,
            Error::PhotoObjectNotFound | Error::PhotoObjectRejected(_) => ErrorKind::Unprocessable,
            Error::ObjectStoreNotConfigured => ErrorKind::NotConfigured,
        }
    }

    /// The domain that raised the error; `None` for infrastructure failures, which belong to
    /// no domain.
    pub fn origin(&self) -> Option<Origin> {
        match self {
            Error::Unauthenticated => Some(Origin::API_KEYS),
            Error::InvalidWorkOrderId | Error::WorkOrderNotFound | Error::WorkOrderClosed(_) => {
                Some(Origin::WORK_ORDERS)
            }
            Error::InvalidPhoto(_)
            | Error::InvalidPhotoId
            | Error::InvalidQuery(_)
            | Error::PhotoNotFound
            | Error::PhotoConflict => Some(Origin::PHOTOS),
            Error::InvalidUpload(_) => Some(Origin::UPLOADS),
            Error::PhotoObjectNotFound | Error::PhotoObjectRejected(_) => Some(Origin::OBJECTS),
            Error::InvalidFeedQuery(_) => Some(Origin::EVENTS),
            Error::Unavailable(_) | Error::Internal(_) | Error::ObjectStoreNotConfigured => None,
        }
    }

    /// The human-readable French message shown to clients. It never carries internals.
    pub fn message(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "Clé d'API manquante, inconnue ou révoquée",
            Error::InvalidWorkOrderId => "Identifiant d'ordre de travail invalide",
            Error::InvalidPhoto(_) => "Corps de requête invalide",
            Error::InvalidPhotoId => "Identifiant de photo invalide",
            Error::InvalidQuery(_) | Error::InvalidFeedQuery(_) => "Paramètres de requête invalides",
            Error::PhotoNotFound => "Photo introuvable",
            Error::WorkOrderNotFound => "Ordre de travail introuvable",
            Error::WorkOrderClosed(_) => "Ordre de travail clôturé ou annulé : il n'accepte plus de photo",
            Error::PhotoConflict => {
                "Cette clé d'objet est déjà attachée à l'ordre de travail avec d'autres données"
            }
            Error::Unavailable(_) => "Service momentanément indisponible, réessayez plus tard",
            Error::Internal(_) => "Erreur interne",
            Error::ObjectStoreNotConfigured => "Aucun stockage d'objets n'est configuré sur ce service",
            Error::InvalidUpload(_) => "Corps de requête invalide",
            Error::PhotoObjectNotFound => "Objet de la photo introuvable dans le stockage",
            Error::PhotoObjectRejected(_) => "Objet de la photo refusé",
        }
    }

    /// The bad fields of an [`Error::InvalidPhoto`], [`Error::InvalidQuery`] or
    /// [`Error::InvalidUpload`], or the reasons of an [`Error::PhotoObjectRejected`]; empty for
    /// every other variant.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::InvalidPhoto(fields)
            | Error::InvalidQuery(fields)
            | Error::InvalidUpload(fields)
            | Error::InvalidFeedQuery(fields)
            | Error::PhotoObjectRejected(fields) => fields,
            _ => &[],
        }
    }

    /// Wraps an adapter's error as [`Error::Unavailable`].
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Error::Unavailable(source.into())
    }

    /// Wraps an adapter's error as [`Error::Internal`].
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Error::Internal(source.into())
    }
}

fn display_fields(fields: &[FieldError]) -> String {
    fields.iter().map(|f| format!("{}: {}", f.field(), f.message())).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<Error> {
        vec![
            Error::Unauthenticated,
            Error::InvalidWorkOrderId,
            Error::InvalidPhoto(vec![FieldError::new(Field::Step, "x")]),
            Error::InvalidPhotoId,
            Error::InvalidQuery(vec![FieldError::new(Field::Limit, "x")]),
            Error::InvalidFeedQuery(vec![FieldError::new(Field::After, "x")]),
            Error::PhotoNotFound,
            Error::WorkOrderNotFound,
            Error::WorkOrderClosed(WorkOrderStatus::Closed),
            Error::PhotoConflict,
            Error::unavailable("down"),
            Error::internal("boom"),
            Error::ObjectStoreNotConfigured,
            Error::InvalidUpload(vec![FieldError::new(Field::ContentType, "x")]),
            Error::PhotoObjectNotFound,
            Error::PhotoObjectRejected(vec![FieldError::new(Field::Content, "x")]),
        ]
    }

    #[test]
    fn every_variant_has_the_contracts_code_kind_and_origin() {
        type Expected = (&'static str, ErrorKind, Option<(&'static str, &'static str)>);
        let expected: Vec<Expected> = vec![
            ("UNAUTHENTICATED", ErrorKind::Unauthenticated, Some(("identity", "api-keys"))),
            ("INVALID_WORK_ORDER_ID", ErrorKind::InvalidInput, Some(("workorder", "work-orders"))),
            ("INVALID_BODY", ErrorKind::InvalidInput, Some(("workorder", "photos"))),
            ("INVALID_PHOTO_ID", ErrorKind::InvalidInput, Some(("workorder", "photos"))),
            ("INVALID_QUERY", ErrorKind::InvalidInput, Some(("workorder", "photos"))),
            ("INVALID_QUERY", ErrorKind::InvalidInput, Some(("workorder", "events"))),
            ("PHOTO_NOT_FOUND", ErrorKind::NotFound, Some(("workorder", "photos"))),
            ("WORK_ORDER_NOT_FOUND", ErrorKind::NotFound, Some(("workorder", "work-orders"))),
            ("WORK_ORDER_CLOSED", ErrorKind::Conflict, Some(("workorder", "work-orders"))),
            ("PHOTO_CONFLICT", ErrorKind::Conflict, Some(("workorder", "photos"))),
            ("SERVICE_UNAVAILABLE", ErrorKind::Unavailable, None),
            ("INTERNAL_ERROR", ErrorKind::Internal, None),
            ("OBJECT_STORE_NOT_CONFIGURED", ErrorKind::NotConfigured, None),
            ("INVALID_BODY", ErrorKind::InvalidInput, Some(("storage", "uploads"))),
            ("PHOTO_OBJECT_NOT_FOUND", ErrorKind::Unprocessable, Some(("storage", "objects"))),
            ("PHOTO_OBJECT_REJECTED", ErrorKind::Unprocessable, Some(("storage", "objects"))),
        ];
        assert_eq!(every_variant().len(), expected.len());
        for (error, (code, kind, origin)) in every_variant().iter().zip(expected) {
            assert_eq!(error.code(), code);
            assert_eq!(error.kind(), kind, "{code}");
            assert_eq!(error.origin().map(|o| (o.bounded_context, o.module)), origin, "{code}");
            assert!(!error.message().is_empty(), "{code}");
        }
    }

    #[test]
    fn the_not_found_message_is_the_contracts() {
        assert_eq!(Error::WorkOrderNotFound.message(), "Ordre de travail introuvable");
    }

    #[test]
    fn infrastructure_errors_keep_their_source_but_not_in_the_message() {
        let error = Error::unavailable("connection refused to 10.0.0.7:5432");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection refused to 10.0.0.7:5432"));
        assert!(!error.message().contains("10.0.0.7"));
        assert!(!error.to_string().contains("10.0.0.7"));
    }

    #[test]
    fn unavailable_and_internal_are_distinct_kinds() {
        assert_ne!(Error::unavailable("x").kind(), Error::internal("x").kind());
    }

    #[test]
    fn only_invalid_input_lists_carry_field_errors() {
        for error in every_variant() {
            let lists = matches!(
                error,
                Error::InvalidPhoto(_)
                    | Error::InvalidQuery(_)
                    | Error::InvalidUpload(_)
                    | Error::InvalidFeedQuery(_)
                    | Error::PhotoObjectRejected(_)
            );
            assert_eq!(error.field_errors().is_empty(), !lists);
        }
    }

    #[test]
    fn every_code_and_origin_is_distinct() {
        // INVALID_QUERY is one code for one kind of mistake, told apart by its origin.
        let codes: std::collections::HashSet<(&str, Option<Origin>)> =
            every_variant().iter().map(|e| (e.code(), e.origin())).collect();
        assert_eq!(codes.len(), every_variant().len());
    }

    #[test]
    fn an_empty_key_and_a_malformed_work_order_id_become_the_contracts_errors() {
        let empty = crate::identity::ApiKeySecret::new("").map_err(Error::from);
        assert!(matches!(empty, Err(Error::Unauthenticated)));
        let bad_id = crate::work_order::WorkOrderId::parse("nope").map_err(Error::from);
        assert!(matches!(bad_id, Err(Error::InvalidWorkOrderId)));
    }
}
