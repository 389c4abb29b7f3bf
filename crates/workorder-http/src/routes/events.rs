//! `GET /v1/events`: the caller's tenant's events, oldest first, a page at a time; and the
//! event's JSON, which webhooks send as their body too.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use workorder_domain::{Error, Event, EventData, FeedPage, Field, rfc3339};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, single_query_parameters};

/// An event, as the feed lists it and a webhook posts it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    /// Its id (a ULID): the same in the feed and in a webhook's `webhook-id`.
    id: String,
    /// Its type.
    #[serde(rename = "type")]
    #[schema(example = "photo.attached")]
    event_type: &'static str,
    /// When it happened (RFC 3339, UTC).
    #[schema(format = DateTime)]
    occurred_at: String,
    /// What happened.
    data: PhotoAttachedBody,
}

/// A `photo.attached` event's data.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhotoAttachedBody {
    /// The work order, canonical lowercase.
    #[schema(format = Uuid)]
    work_order_id: String,
    /// The new photo's id (a ULID).
    photo_id: String,
    /// Its key in MinIO.
    minio_object_key: String,
    /// Where the CDN serves it.
    #[schema(format = Uri)]
    cdn_url: String,
    /// When it was taken (RFC 3339, UTC).
    #[schema(format = DateTime)]
    taken_at: String,
    /// The step it documents, or null.
    step: Option<String>,
}

impl From<&Event> for EventBody {
    fn from(event: &Event) -> Self {
        let EventData::PhotoAttached(photo) = &event.data;
        Self {
            id: event.id.to_string(),
            event_type: event.data.type_name(),
            occurred_at: rfc3339(event.occurred_at),
            data: PhotoAttachedBody {
                work_order_id: photo.work_order_id.to_string(),
                photo_id: photo.photo_id.to_string(),
                minio_object_key: photo.object_key.as_str().to_owned(),
                cdn_url: photo.cdn_url.as_str().to_owned(),
                taken_at: rfc3339(photo.taken_at.instant()),
                step: photo.step.as_ref().map(|s| s.as_str().to_owned()),
            },
        }
    }
}

impl EventBody {
    /// The event's JSON, as a webhook's body.
    pub fn json(event: &Event) -> Vec<u8> {
        // Serialising strings, an option and a struct of them cannot fail.
        serde_json::to_vec(&EventBody::from(event)).unwrap_or_default()
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventPageResponse {
    /// The events, oldest first.
    data: Vec<EventBody>,
    /// Pass as `after` to continue, now or later. Just after the last event returned; on a
    /// page with no event, the cursor passed; null only when none was passed and the tenant
    /// has no event yet. Opaque.
    next_cursor: Option<String>,
    /// Whether more events were already there.
    has_more: bool,
}

impl From<FeedPage> for EventPageResponse {
    fn from(page: FeedPage) -> Self {
        Self {
            data: page.events.iter().map(|e| EventBody::from(&e.event)).collect(),
            next_cursor: page.next_cursor.map(|c| c.to_string()),
            has_more: page.has_more,
        }
    }
}

/// The tenant's events, oldest first: follow the feed by passing back each page's
/// `nextCursor` as `after`; every event is seen once, in a stable order.
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "listEvents",
    tag = "events",
    params(
        ("after" = Option<String>, Query, description = "The `nextCursor` of the previous page"),
        ("limit" = Option<u16>, Query, minimum = 1, maximum = 200, description = "Events per page, 1 to 200 (default 50)"),
    ),
    responses((status = 200, description = "A page of events", body = EventPageResponse)),
    security(("ApiKey" = []))
)]
pub(crate) async fn list_events(
    Authenticated(principal): Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let names = [("after", Field::After), ("limit", Field::Limit)];
    let [after, limit] =
        single_query_parameters(req.query_string(), names, Field::After).map_err(Error::InvalidFeedQuery)?;
    let page = state.event_feed.page(&principal, after.as_deref(), limit.as_deref()).await?;
    Ok(HttpResponse::Ok().json(EventPageResponse::from(page)))
}
