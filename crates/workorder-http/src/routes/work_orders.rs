//! `GET /v1/work-orders/{id}`: a work order's summary.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use workorder_domain::{WorkOrderView, rfc3339};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, WorkOrderPath};

/// A work order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkOrderBody {
    /// Its id, canonical lowercase hyphenated.
    #[schema(format = Uuid)]
    work_order_id: String,
    /// Its status.
    #[schema(example = "IN_PROGRESS")]
    status: &'static str,
    /// Its title, or null.
    title: Option<String>,
    /// How many photos it has.
    photo_count: u64,
    /// When it was created (RFC 3339, UTC).
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed (RFC 3339, UTC).
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `{"data": …}` around a work order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WorkOrderResponse {
    data: WorkOrderBody,
}

impl From<WorkOrderView> for WorkOrderBody {
    fn from(view: WorkOrderView) -> Self {
        Self {
            work_order_id: view.id.to_string(),
            status: view.status.as_str(),
            title: view.title,
            photo_count: view.photo_count,
            created_at: rfc3339(view.created_at),
            updated_at: rfc3339(view.updated_at),
        }
    }
}

/// A work order's summary.
#[utoipa::path(
    get,
    path = "/v1/work-orders/{id}",
    operation_id = "getWorkOrder",
    tag = "work-orders",
    params(("id" = String, Path, format = Uuid, description = "The work order's id")),
    responses((status = 200, description = "The work order", body = WorkOrderResponse)),
    security(("ApiKey" = []))
)]
pub(crate) async fn get_work_order(
    Authenticated(principal): Authenticated,
    WorkOrderPath(id): WorkOrderPath,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let view = state.view_work_order.view(&principal, id).await?;
    Ok(HttpResponse::Ok().json(WorkOrderResponse { data: view.into() }))
}
