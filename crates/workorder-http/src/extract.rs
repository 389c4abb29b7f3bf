//! Extractors: what a handler needs from a request, taken once, in the contract's order of
//! checks. actix runs a handler's extractors in the order of its arguments, so a handler
//! that takes `(Authenticated, WorkOrderPath, …)` answers 401 before 400.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use workorder_domain::{ApiKeySecret, Error, Field, FieldError, IssueUploadTicket, Principal, WorkOrderId};

use crate::AppState;
use crate::auth_limit::FailureVerdict;
use crate::error::ApiError;
use crate::middleware::ClientAddress;

/// The caller, authenticated by exactly one non-empty `X-API-Key`. A key that verifies is
/// always accepted; a failing one counts against its client address, which is refused (429)
/// past the limit.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub(crate) Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map(Authenticated) })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = app_state(req)?;
    let mut values = req.headers().get_all("x-api-key");
    let presented = match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().and_then(|v| ApiKeySecret::new(v).ok()),
        _ => None,
    };
    let verified = match presented {
        Some(secret) => state.verifier.verify(&secret).await,
        None => Err(Error::Unauthenticated),
    };
    if matches!(verified, Err(Error::Unauthenticated)) {
        state.metrics.observe_auth_failure();
        let client = req.extensions().get::<ClientAddress>().map(|c| c.0);
        if let Some(FailureVerdict::Refused(wait)) = client.map(|ip| state.auth_limiter.failed(ip)) {
            return Err(ApiError::TooManyRequests { retry_after: wait });
        }
    }
    let principal = verified?;
    // For the access log: who did it.
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

/// The work order named by the path's `{id}`: a hyphenated UUID of any case and version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkOrderPath(pub(crate) WorkOrderId);

impl FromRequest for WorkOrderPath {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        std::future::ready(WorkOrderId::parse(raw).map(WorkOrderPath).map_err(|e| Error::from(e).into()))
    }
}

/// The upload-ticket use case, or 501 `OBJECT_STORE_NOT_CONFIGURED` when the service has no
/// object storage: after the key, before the path, as the contract orders them.
#[derive(Debug, Clone)]
pub(crate) struct UploadTickets(pub(crate) IssueUploadTicket);

impl FromRequest for UploadTickets {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(app_state(req).and_then(|state| {
            state.upload_tickets.clone().map(UploadTickets).ok_or(Error::ObjectStoreNotConfigured.into())
        }))
    }
}

/// The application's state; a route without it is a wiring fault of ours.
pub(crate) fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Error::internal("the application state is not registered").into())
}

/// The query parameters `names`, each at most once (every other parameter is ignored), in
/// order. Each one given twice is a [`FieldError`] of its field; a query that is not well
/// encoded is one of `badly_encoded`.
pub(crate) fn single_query_parameters<const N: usize>(
    query: &str,
    names: [(&str, Field); N],
    badly_encoded: Field,
) -> Result<[Option<String>; N], Vec<FieldError>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| vec![FieldError::new(badly_encoded, "paramètres mal encodés")])?;
    let mut errors = Vec::new();
    let values = names.map(|(name, field)| {
        let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone());
        let first = values.next();
        if values.next().is_some() {
            errors.push(FieldError::new(field, "ne doit être donné qu'une fois"));
        }
        first
    });
    if errors.is_empty() { Ok(values) } else { Err(errors) }
}
