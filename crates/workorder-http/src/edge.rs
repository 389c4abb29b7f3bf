//! The edge of every request: trace id, error bodies, panics, security headers, access log.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::AppState;
use crate::error::ErrorPayload;

/// The trace id header, read from requests and set on every response.
pub const TRACE_ID_HEADER: &str = "x-trace-id";

/// A request's correlation id: the client's own if it is 1 to 64 characters of
/// `[A-Za-z0-9._-]`, else a new ULID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceId(String);

impl TraceId {
    fn for_request(req: &ServiceRequest) -> Self {
        let given = req.headers().get(TRACE_ID_HEADER).and_then(|v| v.to_str().ok()).filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
        Self(given.map_or_else(|| ulid::Ulid::generate().to_string(), str::to_owned))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The middleware, for `actix_web::middleware::from_fn`. It must wrap the whole app.
pub(crate) async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let trace_id = TraceId::for_request(&req);
    req.extensions_mut().insert(trace_id.clone());
    let method = req.method().clone();
    let path = req.path().to_owned();
    let state = req.app_data::<web::Data<AppState>>().cloned();

    // An error here never came from a handler (those are responses by now); it has no
    // request left to answer with, so actix renders it. Panics are caught in the handlers
    // (see `routes::guarded`), where the request is still whole.
    let mut response = next.call(req).await?.map_into_boxed_body();

    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let payload = response
            .response()
            .extensions()
            .get::<ErrorPayload>()
            .cloned()
            .unwrap_or_else(|| ErrorPayload::for_status(status));
        if let Some(detail) = &payload.log_detail {
            log::error!(
                "trace_id={} {} {}: {detail}",
                trace_id.as_str(),
                payload.status.as_u16(),
                payload.code
            );
        }
        let body = serde_json::to_vec(&payload.body(trace_id.as_str())).unwrap_or_default();
        response = response.map_body(|head, _| {
            head.status = payload.status;
            head.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Some(seconds) = payload.retry_after {
                head.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            BoxBody::new(body)
        });
    }

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(trace_id.as_str()) {
        headers.insert(HeaderName::from_static(TRACE_ID_HEADER), value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));

    if let Some(state) = state {
        // The route's pattern, not its path: ids would make a metric per work order.
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.observe_request(
            method.as_str(),
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }

    // Never the query string, never a header: a key must not reach the log.
    log::info!(
        target: "access",
        "trace_id={} {} {} {} {:.1}ms",
        trace_id.as_str(),
        method,
        path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(response)
}
