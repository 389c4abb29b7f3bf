//! Extractors: what a handler needs from a request, taken once, in the contract's order of
//! checks. actix runs a handler's extractors in the order of its arguments, so a handler
//! that takes `(Authenticated, WorkOrderPath, …)` answers 401 before 400.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use workorder_domain::{ApiKeySecret, Error, Field, FieldError, Principal, WorkOrderId};

use crate::AppState;
use crate::error::ApiError;

/// The caller, authenticated by exactly one non-empty `X-API-Key`. An address with too many
/// recent failures is refused before its key is even looked at.
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
    let client = req.peer_addr().map(|a| a.ip());
    if let Some(wait) = client.and_then(|ip| state.auth_limiter.refused(ip)) {
        state.metrics.observe_auth_failure();
        return Err(ApiError::TooManyRequests { retry_after: wait });
    }
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
        if let Some(ip) = client {
            state.auth_limiter.failed(ip);
        }
    }
    Ok(verified?)
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
