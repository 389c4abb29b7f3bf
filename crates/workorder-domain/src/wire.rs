//! The contract's wire format, for services that answer over HTTP as ours does (feature
//! `serde`): the error body, the kind → status table, and `Retry-After` for unavailable.
//! The HTTP crate of this workspace uses exactly this code.
//!
//! ```
//! use workorder_domain::Error;
//! use workorder_domain::wire::ErrorBody;
//!
//! let error = Error::WorkOrderNotFound;
//! let body = ErrorBody::of(&error, "01JD8X7N6Q9V5T2W3Y4Z5A6B7C");
//! assert_eq!(error.kind().http_status(), 404);
//! assert_eq!(
//!     serde_json::to_value(&body).unwrap(),
//!     serde_json::json!({
//!         "code": "WORK_ORDER_NOT_FOUND",
//!         "message": error.message(),
//!         "status": 404,
//!         "traceId": "01JD8X7N6Q9V5T2W3Y4Z5A6B7C",
//!         "origin": {"boundedContext": "workorder", "module": "work-orders"}
//!     })
//! );
//! assert_eq!(error.retry_after_secs(), None);
//! assert_eq!(Error::unavailable("down").retry_after_secs(), Some(2));
//! ```

use serde::Serialize;

use crate::{Error, FieldError, Origin};

/// The body of every non-2xx answer: `code`, `message`, `status`, `traceId`, and `origin` and
/// `details` when there are any.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    status: u16,
    trace_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<OriginBody>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<DetailBody<'a>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct OriginBody {
    bounded_context: &'static str,
    module: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct DetailBody<'a> {
    field: &'static str,
    message: &'a str,
}

impl<'a> ErrorBody<'a> {
    /// The body of `error`, answered under `trace_id`.
    pub fn of(error: &'a Error, trace_id: &'a str) -> Self {
        Self::new(
            error.code(),
            error.message(),
            error.kind().http_status(),
            trace_id,
            error.origin(),
            error.field_errors(),
        )
    }

    /// A body from its parts, for answers that are not a domain error (a route that does not
    /// exist, a body too large): the same shape.
    pub fn new(
        code: &'a str,
        message: &'a str,
        status: u16,
        trace_id: &'a str,
        origin: Option<Origin>,
        details: &'a [FieldError],
    ) -> Self {
        Self {
            code,
            message,
            status,
            trace_id,
            origin: origin.map(|o| OriginBody { bounded_context: o.bounded_context, module: o.module }),
            details: details
                .iter()
                .map(|d| DetailBody { field: d.field().as_str(), message: d.message() })
                .collect(),
        }
    }
}
