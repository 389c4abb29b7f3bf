//! Probes: `/healthz` (the process is up) and `/readyz` (the database answers).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    super::guarded(async {
        state.repo.ping().await?;
        Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
    })
    .await
}
