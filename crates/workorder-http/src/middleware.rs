//! The one middleware around every request, its edge: trace id, error bodies, panics,
//! security headers, metrics, access log.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use futures_util::FutureExt;
use workorder_domain::{Error, Principal};

use crate::AppState;
use crate::error::{ApiError, ErrorPayload};

/// The trace id header, read from requests and set on every response.
pub const TRACE_ID_HEADER: &str = "x-trace-id";

/// W3C Trace Context's header, read from requests and set on every response.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// A request's correlation id: the client's own `X-Trace-Id` if it is 1 to 64 characters of
/// `[A-Za-z0-9._-]`; else the trace-id of a valid W3C `traceparent`; else a new ULID. Its W3C
/// form (32 hex digits) goes out in the answer's `traceparent`, with the request's own span id,
/// the one its exported span has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceId {
    id: String,
    w3c: W3cTrace,
}

/// A request's place in a W3C trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct W3cTrace {
    trace: u128,
    /// The caller's span, from its `traceparent`.
    parent: Option<u64>,
    /// The request's own span.
    span: u64,
    flags: u8,
}

impl TraceId {
    fn for_request(req: &ServiceRequest) -> Self {
        let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let parent = header(TRACEPARENT_HEADER).and_then(parse_traceparent);
        let given = header(TRACE_ID_HEADER).filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
        let span = (u128::from(ulid::Ulid::generate()) as u64).max(1);
        let continued = |(trace, parent, flags)| W3cTrace { trace, parent: Some(parent), span, flags };
        let new = |trace| W3cTrace { trace, parent: None, span, flags: 1 };
        match (given, parent) {
            (Some(given), parent) => {
                // The client's own id, and a W3C form for it: the trace it continues, or the
                // id itself if it is already one (32 hex digits or a ULID), else a new trace.
                let own = u128::from_str_radix(given, 16)
                    .ok()
                    .filter(|_| given.len() == 32)
                    .or_else(|| ulid::Ulid::from_string(given).ok().map(u128::from))
                    // All zeros is no trace in W3C's terms.
                    .filter(|trace| *trace != 0);
                let w3c = parent
                    .map(continued)
                    .unwrap_or_else(|| new(own.unwrap_or_else(|| ulid::Ulid::generate().into())));
                Self { id: given.to_owned(), w3c }
            }
            (None, Some(parent)) => Self { id: format!("{:032x}", parent.0), w3c: continued(parent) },
            (None, None) => {
                let id = ulid::Ulid::generate();
                Self { id: id.to_string(), w3c: new(id.into()) }
            }
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The W3C trace-id the request belongs to.
    pub fn w3c_trace_id(&self) -> u128 {
        self.w3c.trace
    }

    /// The request's own span id: the one its answer's `traceparent` names.
    pub fn span_id(&self) -> u64 {
        self.w3c.span
    }

    /// The caller's span id, when its `traceparent` was valid.
    pub fn parent_span_id(&self) -> Option<u64> {
        self.w3c.parent
    }

    /// The trace flags: the caller's, or "sampled" for a trace the request began.
    pub fn trace_flags(&self) -> u8 {
        self.w3c.flags
    }

    /// The answer's `traceparent`: version 00, the trace, the request's span, the flags.
    fn traceparent(&self) -> String {
        format!("00-{:032x}-{:016x}-{:02x}", self.w3c.trace, self.w3c.span, self.w3c.flags)
    }
}

/// A valid `traceparent` (version `00`, or a later one read as `00`): its trace-id, parent-id
/// and flags. All-zero ids, version `ff` and malformed values are ignored, as the specification
/// says.
fn parse_traceparent(value: &str) -> Option<(u128, u64, u8)> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let well_formed = hex(version, 2)
        && version != "ff"
        && (version != "00" || parts.next().is_none())
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2);
    if !well_formed {
        return None;
    }
    let (trace, span) = (u128::from_str_radix(trace, 16).ok()?, u64::from_str_radix(span, 16).ok()?);
    (trace != 0 && span != 0).then_some((trace, span, u8::from_str_radix(flags, 16).ok()?))
}

#[derive(Debug, thiserror::Error)]
#[error("the request handler panicked")]
struct HandlerPanicked;

/// The middleware, for `actix_web::middleware::from_fn`. It must wrap the whole app.
pub(crate) async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let trace_id = TraceId::for_request(&req);
    req.extensions_mut().insert(trace_id.clone());
    let method = crate::metrics::method_label(req.method());
    let path = LoggedPath::of(req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(LoggedPath::of);
    // Who the client is, found once: the access log writes it, the authentication limit
    // counts against it.
    let client_ip = req.peer_addr().map(|peer| match &state {
        Some(state) => {
            let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
            state.trusted_proxies.client(peer.ip(), forwarded)
        }
        None => peer.ip(),
    });
    if let Some(ip) = client_ip {
        req.extensions_mut().insert(ClientAddress(ip));
    }
    let client = client_ip.map(|ip| ip.to_string());
    let record = |route: &str, status: u16, bytes: Option<u64>, who: Option<&Principal>| {
        let seconds = started.elapsed().as_secs_f64();
        if let Some(state) = &state {
            state.metrics.observe_request(method, route, status, seconds);
        }
        // Never the query string, never a key; every field bounded.
        let tenant = who.map(|p| p.tenant().to_string());
        let key_id = who.map(|p| p.key_id().to_string());
        log::info!(
            target: "access",
            trace_id = trace_id.as_str(),
            client = client.as_deref().unwrap_or("-"),
            method = method,
            path = path.as_str(),
            route = route,
            status = status,
            bytes = bytes.unwrap_or(0),
            duration_ms = (seconds * 10_000.0).round() / 10.0,
            user_agent = user_agent.as_ref().map_or("-", LoggedPath::as_str),
            tenant = tenant.as_deref().unwrap_or("-"),
            key_id = key_id.as_deref().unwrap_or("-");
            "{method} {path} {status}"
        );
    };

    // An error here never came from a handler (those are responses by now): actix renders it.
    let mut response = match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(response) => response?.map_into_boxed_body(),
        Err(_) => {
            // The request went down with the handler, and a response cannot be built without
            // it: the answer leaves as an error that renders the whole contract's answer.
            let answer = PanicAnswer {
                payload: ApiError::Domain(Error::internal(HandlerPanicked)).payload(),
                trace_id: trace_id.clone(),
            };
            log_fault(&trace_id, &answer.payload);
            record("panicked", answer.payload.status.as_u16(), None, None);
            return Err(answer.into());
        }
    };

    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let payload = response
            .response()
            .extensions()
            .get::<ErrorPayload>()
            .cloned()
            .unwrap_or_else(|| ErrorPayload::for_status(status));
        log_fault(&trace_id, &payload);
        let body = error_body(&payload, &trace_id);
        response = response.map_body(|head, _| {
            head.status = payload.status;
            error_headers(head.headers_mut(), &payload);
            BoxBody::new(body)
        });
    }
    edge_headers(response.headers_mut(), &trace_id);
    // The route's pattern, not its path: ids would make a metric per work order.
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let bytes = match response.response().body().size() {
        actix_web::body::BodySize::Sized(n) => Some(n),
        _ => None,
    };
    let who = response.request().extensions().get::<Principal>().cloned();
    record(&route, response.status().as_u16(), bytes, who.as_ref());
    Ok(response)
}

/// A request's path (or user agent) as the access log writes it: at most [`LoggedPath::MAX`]
/// bytes, so a client cannot make one log line as long as its request (a 120 KB path wrote a
/// 120 KB line); a longer one is cut on a character boundary and marked with `…`.
struct LoggedPath(String);

impl LoggedPath {
    const MAX: usize = 256;

    fn as_str(&self) -> &str {
        &self.0
    }

    fn of(path: &str) -> Self {
        if path.len() <= Self::MAX {
            return Self(path.to_owned());
        }
        let mut end = Self::MAX;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        Self(format!("{}…", &path[..end]))
    }
}

impl std::fmt::Display for LoggedPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` (a path, a user agent) as the access log writes it: at most 256 bytes, cut on a
/// character boundary and marked with `…`.
pub fn bounded_for_log(text: &str) -> String {
    LoggedPath::of(text).0
}

/// The client's address, after trusted proxies: set by the edge on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// A server fault's cause chain, for the log only.
fn log_fault(trace_id: &TraceId, payload: &ErrorPayload) {
    if let Some(detail) = &payload.log_detail {
        log::error!(
            trace_id = trace_id.as_str(),
            status = payload.status.as_u16(),
            code = payload.code;
            "{} {}: {detail}", payload.status.as_u16(), payload.code
        );
    }
}

fn error_body(payload: &ErrorPayload, trace_id: &TraceId) -> Vec<u8> {
    serde_json::to_vec(&payload.body(trace_id.as_str())).unwrap_or_default()
}

/// The headers of every error answer.
fn error_headers(headers: &mut HeaderMap, payload: &ErrorPayload) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(seconds) = payload.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// The headers of every answer.
fn edge_headers(headers: &mut HeaderMap, trace_id: &TraceId) {
    if let Ok(value) = HeaderValue::from_str(trace_id.as_str()) {
        headers.insert(HeaderName::from_static(TRACE_ID_HEADER), value);
    }
    if let Ok(value) = HeaderValue::from_str(&trace_id.traceparent()) {
        headers.insert(HeaderName::from_static(TRACEPARENT_HEADER), value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The answer to a request whose handler panicked, rendered whole by actix.
#[derive(Debug, thiserror::Error)]
#[error("the request handler panicked")]
struct PanicAnswer {
    payload: ErrorPayload,
    trace_id: TraceId,
}

impl ResponseError for PanicAnswer {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.payload.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response =
            HttpResponse::build(self.payload.status).body(error_body(&self.payload, &self.trace_id));
        error_headers(response.headers_mut(), &self.payload);
        edge_headers(response.headers_mut(), &self.trace_id);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::{LoggedPath, parse_traceparent};

    #[test]
    fn traceparent_is_read_as_the_specification_says() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            parse_traceparent(valid),
            Some((0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7, 1))
        );
        // A later version may carry more fields; 00 may not.
        assert!(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x").is_some());
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_long_path_is_logged_cut_on_a_character_boundary() {
        let short = "/v1/work-orders/x/photos";
        assert_eq!(LoggedPath::of(short).to_string(), short);
        let long = format!("/{}", "é".repeat(1000));
        let logged = LoggedPath::of(&long).to_string();
        assert!(logged.len() <= LoggedPath::MAX + '…'.len_utf8(), "{}", logged.len());
        assert!(logged.ends_with('…'));
        assert!(long.starts_with(logged.trim_end_matches('…')));
    }
}
