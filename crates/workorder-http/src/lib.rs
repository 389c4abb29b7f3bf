//! The HTTP adapter of the work-order domain: actix-web routes, the contract's error body for
//! every non-2xx answer, trace ids and the access log.
//!
//! [`app`] builds the whole application from an [`AppState`] of ports; it knows the domain,
//! never the infrastructure, so tests run it over in-memory adapters and the binary over
//! diesel.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use workorder_domain::{ApiKeyVerifier, AttachPhoto, WorkOrderRepo};

mod edge;
mod error;
mod routes;

pub use edge::{TRACE_ID_HEADER, TraceId};
pub use error::ApiError;
pub use routes::attach_photo::MAX_BODY_BYTES;

/// What the routes need: the use case and the ports they call directly.
#[derive(Clone)]
pub struct AppState {
    /// The AttachPhoto use case.
    pub attach: AttachPhoto,
    /// Verifies `X-API-Key`.
    pub verifier: Arc<dyn ApiKeyVerifier>,
    /// The store, for readiness.
    pub repo: Arc<dyn WorkOrderRepo>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("attach", &self.attach).finish_non_exhaustive()
    }
}

/// The application: routes, the not-found fallback, and the edge middleware around all.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .service(
            web::resource("/v1/work-orders/{id}/photos")
                .route(web::post().to(routes::attach_photo::attach_photo)),
        )
        .service(web::resource("/healthz").route(web::get().to(routes::health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(routes::health::readyz)))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::RouteNotFound) }))
        .wrap(from_fn(edge::edge))
}
