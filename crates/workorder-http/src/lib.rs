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
use workorder_domain::{
    ApiKeyVerifier, AttachPhoto, AttachPolicy, Clock, EventFeed, GetPhoto, IssueUploadTicket, ListPhotos,
    ObjectPolicy, ObjectStore, PhotoIdGenerator, PoolProbe, ReadEventFeed, ViewWorkOrder, WorkOrderReader,
    WorkOrderRepo,
};

mod auth_limit;
mod batch_size_metric;
mod error;
mod extract;
pub(crate) mod metrics;
mod middleware;
mod object_store_metrics;
mod openapi;
mod process_metrics;
mod prometheus_text;
mod routes;
mod webhook_sender;
pub mod webhook_signature;

pub use auth_limit::{AuthFailureLimit, AuthLimiter, InvalidTrustedProxy, TrustedProxies};
pub use error::ApiError;
pub use metrics::{Metrics, method_label};
pub use middleware::{ClientAddress, TRACE_ID_HEADER, TRACEPARENT_HEADER, TraceId, bounded_for_log};
pub use openapi::{ApiDoc, openapi_json};
pub use routes::attach_photo::{MAX_BODY_BYTES, decode_command};
pub use routes::events::EventBody;
pub use webhook_sender::{SystemResolver, UreqWebhookSender};

/// What the routes need: the use cases and the ports they call directly.
#[derive(Clone)]
pub struct AppState {
    /// The AttachPhoto use case.
    pub attach: AttachPhoto,
    /// The ViewWorkOrder use case.
    pub view_work_order: ViewWorkOrder,
    /// The ListPhotos use case.
    pub list_photos: ListPhotos,
    /// The GetPhoto use case.
    pub get_photo: GetPhoto,
    /// The IssueUploadTicket use case, when object storage is configured.
    pub upload_tickets: Option<IssueUploadTicket>,
    /// The ReadEventFeed use case.
    pub event_feed: ReadEventFeed,
    /// Verifies `X-API-Key`.
    pub verifier: Arc<dyn ApiKeyVerifier>,
    /// The metrics, shared by every worker.
    pub metrics: Arc<Metrics>,
    /// The database pool, for its metrics, when there is one.
    pub pool: Option<Arc<dyn PoolProbe>>,
    /// Failed authentications per client address.
    pub auth_limiter: Arc<AuthLimiter>,
    /// The proxies whose `X-Forwarded-For` names the client; none unless configured.
    pub trusted_proxies: TrustedProxies,
}

/// The ports the application runs on: the binary gives the diesel adapters, tests the
/// in-memory ones.
#[derive(Clone)]
pub struct Ports {
    /// Where photos are attached.
    pub repo: Arc<dyn WorkOrderRepo>,
    /// Where work orders and photos are read.
    pub reader: Arc<dyn WorkOrderReader>,
    /// Where the events feed is read.
    pub feed: Arc<dyn EventFeed>,
    /// Verifies `X-API-Key`.
    pub verifier: Arc<dyn ApiKeyVerifier>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids of new photos.
    pub photo_ids: Arc<dyn PhotoIdGenerator>,
    /// The database pool, for its metrics, when there is one.
    pub pool: Option<Arc<dyn PoolProbe>>,
    /// Object storage, when configured: photos are then verified and tickets handed out.
    pub object_storage: Option<ObjectStorage>,
}

/// An object store and the rules its photos are held to.
#[derive(Clone)]
pub struct ObjectStorage {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The rules.
    pub policy: ObjectPolicy,
}

impl AppState {
    /// The use cases over `ports`, with fresh metrics and limiter: the one way the binary and
    /// the tests build the application's state.
    pub fn new(ports: Ports, policy: AttachPolicy, auth_failure_limit: AuthFailureLimit) -> Self {
        let metrics = Arc::new(Metrics::default());
        let mut attach = AttachPhoto::new(ports.repo, ports.clock.clone(), ports.photo_ids.clone(), policy);
        let mut upload_tickets = None;
        if let Some(storage) = ports.object_storage {
            // Every call to the store is timed and counted, whichever use case makes it.
            let store: Arc<dyn ObjectStore> =
                Arc::new(object_store_metrics::Metered::new(storage.store, metrics.clone()));
            attach = attach.with_object_storage(store.clone(), storage.policy.clone());
            upload_tickets = Some(IssueUploadTicket::new(
                store,
                ports.reader.clone(),
                ports.clock,
                ports.photo_ids,
                storage.policy,
            ));
        }
        Self {
            attach,
            view_work_order: ViewWorkOrder::new(ports.reader.clone()),
            list_photos: ListPhotos::new(ports.reader.clone()),
            get_photo: GetPhoto::new(ports.reader),
            upload_tickets,
            event_feed: ReadEventFeed::new(ports.feed),
            verifier: ports.verifier,
            metrics,
            pool: ports.pool,
            auth_limiter: Arc::new(AuthLimiter::new(auth_failure_limit)),
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

impl AppState {
    /// Whether object storage is configured (then tickets are handed out and photos verified).
    pub(crate) fn object_storage_configured(&self) -> bool {
        self.upload_tickets.is_some()
    }
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
                .route(web::post().to(routes::attach_photo::attach_photo))
                .route(web::get().to(routes::photos::list_photos)),
        )
        .service(
            web::resource("/v1/work-orders/{id}/photo-uploads")
                .route(web::post().to(routes::photo_uploads::issue_upload_ticket)),
        )
        .service(
            web::resource("/v1/work-orders/{id}/photos/{photoId}")
                .route(web::get().to(routes::photos::get_photo)),
        )
        .service(
            web::resource("/v1/work-orders/{id}").route(web::get().to(routes::work_orders::get_work_order)),
        )
        .service(web::resource("/v1/events").route(web::get().to(routes::events::list_events)))
        .service(
            web::resource("/healthz")
                .route(web::get().to(routes::health::healthz))
                .route(web::head().to(routes::health::healthz_head)),
        )
        .service(
            web::resource("/readyz")
                .route(web::get().to(routes::health::readyz))
                .route(web::head().to(routes::health::readyz_head)),
        )
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(web::resource("/openapi.json").route(web::get().to(serve_openapi)))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::RouteNotFound) }))
        .wrap(from_fn(middleware::edge))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn serve_openapi() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type("application/json").body(openapi_json())
}
