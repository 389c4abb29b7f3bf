//! The error body: one shape for every non-2xx answer, whatever produced it.
//!
//! A handler's error becomes a response carrying an [`ErrorPayload`] extension; the edge
//! middleware (`middleware.rs`) writes the body, adding the trace id, and gives answers that actix
//! made itself (a wrong method on a route, a malformed request) their payload by status.
//!
//! Codes beyond the contract's table (`TOO_MANY_REQUESTS`, `REQUEST_TIMEOUT`, `BAD_REQUEST`,
//! and the read side's) are extensions for situations the table does not name.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use workorder_domain::wire::ErrorBody;
use workorder_domain::{Error, ErrorKind, Field, FieldError, Origin};

/// What an error answer says, before the trace id is known.
#[derive(Debug, Clone)]
pub(crate) struct ErrorPayload {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
    pub(crate) origin: Option<Origin>,
    pub(crate) details: Vec<FieldError>,
    /// The cause chain of a server fault, for the log only.
    pub(crate) log_detail: Option<String>,
    /// Seconds for `Retry-After`, when the client should wait.
    pub(crate) retry_after: Option<u64>,
}

impl ErrorPayload {
    fn transport(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        // The domain's figure, so that every 503 says the same.
        let retry_after =
            ErrorKind::Unavailable.retry_after_secs().filter(|_| status == StatusCode::SERVICE_UNAVAILABLE);
        Self { status, code, message, origin: None, details: Vec::new(), log_detail: None, retry_after }
    }

    /// The payload of an answer actix made without one of ours, by its status.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => ApiError::RouteNotFound.payload(),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed.payload(),
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge.payload(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType.payload(),
            StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout.payload(),
            StatusCode::SERVICE_UNAVAILABLE => Self::transport(
                status,
                "SERVICE_UNAVAILABLE",
                "Service momentanément indisponible, réessayez plus tard",
            ),
            s if s.is_client_error() => Self::transport(s, "BAD_REQUEST", "Requête invalide"),
            _ => Self::transport(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Erreur interne"),
        }
    }

    /// The body, with the trace id: the domain's wire format.
    pub(crate) fn body<'a>(&'a self, trace_id: &'a str) -> ErrorBody<'a> {
        ErrorBody::new(self.code, self.message, self.status.as_u16(), trace_id, self.origin, &self.details)
    }
}

/// Everything a route can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The domain said no, or failed.
    #[error(transparent)]
    Domain(#[from] Error),
    /// The body is over the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Too many failed authentications from this address lately.
    #[error("too many failed authentications")]
    TooManyRequests {
        /// When the address may try again.
        retry_after: std::time::Duration,
    },
    /// The body did not arrive within the time allowed.
    #[error("request body timed out")]
    RequestTimeout,
    /// The body is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// No route matches the path.
    #[error("no such route")]
    RouteNotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// A malformed body, as the domain's invalid-photo error on the field `body`.
    pub(crate) fn invalid_body(message: impl Into<String>) -> Self {
        ApiError::Domain(Error::InvalidPhoto(vec![FieldError::new(Field::Body, message)]))
    }

    pub(crate) fn payload(&self) -> ErrorPayload {
        match self {
            ApiError::Domain(error) => ErrorPayload {
                status: StatusCode::from_u16(error.kind().http_status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                code: error.code(),
                message: error.message(),
                origin: error.origin(),
                details: error.field_errors().to_vec(),
                log_detail: matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::Internal)
                    .then(|| cause_chain(error)),
                retry_after: error.retry_after_secs(),
            },
            ApiError::PayloadTooLarge => ErrorPayload::transport(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "Corps de requête trop volumineux (16 Kio au plus)",
            ),
            ApiError::TooManyRequests { retry_after } => ErrorPayload {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..ErrorPayload::transport(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TOO_MANY_REQUESTS",
                    "Trop d'échecs d'authentification, réessayez plus tard",
                )
            },
            ApiError::RequestTimeout => ErrorPayload::transport(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "Corps de requête reçu trop lentement",
            ),
            ApiError::UnsupportedMediaType => ErrorPayload::transport(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Le corps doit être du JSON (Content-Type: application/json)",
            ),
            ApiError::RouteNotFound => {
                ErrorPayload::transport(StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND", "Route introuvable")
            }
            ApiError::MethodNotAllowed => ErrorPayload::transport(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "Méthode non autorisée sur cette route",
            ),
        }
    }
}

fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.payload().status
    }

    fn error_response(&self) -> HttpResponse {
        let payload = self.payload();
        let mut response = HttpResponse::build(payload.status).finish();
        response.extensions_mut().insert(payload);
        response
    }
}
