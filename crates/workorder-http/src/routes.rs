//! The routes, one module each.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use workorder_domain::Error;

use crate::error::ApiError;

pub(crate) mod attach_photo;
pub(crate) mod health;

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
