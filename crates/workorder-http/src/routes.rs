//! The routes, one module each.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use actix_web::HttpRequest;
use futures_util::FutureExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use workorder_domain::{ApiKeySecret, Error, Principal};

use crate::AppState;
use crate::error::ApiError;

pub(crate) mod attach_photo;
pub(crate) mod health;
pub(crate) mod photos;
pub(crate) mod work_orders;

/// The caller's principal, from exactly one non-empty `X-API-Key`. An address with too many
/// recent failures is refused before its key is even looked at.
pub(crate) async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Principal, ApiError> {
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

/// An instant as the API shows it: RFC 3339, UTC.
pub(crate) fn rfc3339(instant: OffsetDateTime) -> String {
    // Formatting a UTC instant of years 2000-9999 cannot fail; the fallback is only a guard.
    instant.format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
}

#[derive(Debug, thiserror::Error)]
#[error("the request handler panicked")]
struct HandlerPanicked;

/// Runs a handler, turning a panic into a 500 with the contract's body instead of a dropped
/// connection.
pub(crate) async fn guarded<T>(handler: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    AssertUnwindSafe(handler)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(ApiError::Domain(Error::internal(HandlerPanicked))))
}
