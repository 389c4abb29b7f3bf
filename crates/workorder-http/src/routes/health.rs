//! Probes: `/healthz` (the process is up) and `/readyz` (the database answers), by GET or by
//! HEAD (the status and headers alone, for probes that read nothing else).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Object, example = json!({"status": "ok"}))))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Object, example = json!({"status": "ready"}))))]
pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.attach.ready().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}

/// The process is up: the status alone.
// actix writes no body for a HEAD request, so the GET's handler answers it with the GET's
// headers.
#[utoipa::path(head, path = "/healthz", operation_id = "healthzHead", tag = "operations",
    responses((status = 200, description = "Up; the headers of GET without its body")))]
pub(crate) async fn healthz_head() -> HttpResponse {
    healthz().await
}

/// The database answers: the status alone.
#[utoipa::path(head, path = "/readyz", operation_id = "readyzHead", tag = "operations",
    responses((status = 200, description = "Ready; the headers of GET without its body")))]
pub(crate) async fn readyz_head(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    readyz(state).await
}
