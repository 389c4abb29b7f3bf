//! The events feed and the relay on diesel: a tenant's published events by position, each
//! with its photo's row as its data.

use async_trait::async_trait;
use diesel::prelude::*;
use time::PrimitiveDateTime;
use workorder_domain::{
    CdnUrl, Error, Event, EventData, EventFeed, EventRelay, FeedCursor, FeedEvent, FeedPosition, ObjectKey,
    PhotoAttached, Step, TakenAt, TenantId,
};

use crate::connection::AnyConnection;
use crate::failure::to_domain;
use crate::outbox;
use crate::repo::DieselWorkOrderRepo;
use crate::schema::{events, photos};

/// A published event with its photo, as the feed reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
pub(crate) struct FeedRow {
    position: Option<i64>,
    id: String,
    tenant_id: String,
    occurred_at: PrimitiveDateTime,
    #[diesel(select_expression = photos::work_order_id)]
    work_order_id: String,
    photo_id: String,
    #[diesel(select_expression = photos::object_key)]
    object_key: String,
    #[diesel(select_expression = photos::cdn_url)]
    cdn_url: String,
    #[diesel(select_expression = photos::taken_at)]
    taken_at: PrimitiveDateTime,
    #[diesel(select_expression = photos::step)]
    step: Option<String>,
}

impl FeedRow {
    /// The domain's event; a row that breaks a rule is a fault of ours.
    pub(crate) fn into_event(self) -> Result<FeedEvent, Error> {
        let position = self
            .position
            .and_then(|p| u64::try_from(p).ok())
            .and_then(FeedPosition::new)
            .ok_or_else(|| Error::internal("a published event without a valid position"))?;
        let data = PhotoAttached {
            work_order_id: workorder_domain::WorkOrderId::parse(&self.work_order_id)
                .map_err(Error::internal)?,
            photo_id: self.photo_id.parse().map_err(Error::internal)?,
            object_key: ObjectKey::parse(&self.object_key).map_err(Error::internal)?,
            cdn_url: CdnUrl::parse(&self.cdn_url).map_err(Error::internal)?,
            taken_at: TakenAt::from_instant(self.taken_at.assume_utc()).map_err(Error::internal)?,
            step: self.step.as_deref().map(Step::parse).transpose().map_err(Error::internal)?,
        };
        let event = Event {
            id: self.id.parse().map_err(Error::internal)?,
            tenant: TenantId::parse(&self.tenant_id).map_err(Error::internal)?,
            occurred_at: self.occurred_at.assume_utc(),
            data: EventData::PhotoAttached(data),
        };
        Ok(FeedEvent { position, event })
    }
}

/// How an event joins its photo: same tenant, the photo's id.
type EventPhoto = diesel::dsl::And<
    diesel::dsl::Eq<photos::tenant_id, events::tenant_id>,
    diesel::dsl::Eq<photos::id, events::photo_id>,
>;

/// Events with their photos.
fn with_photos() -> diesel::dsl::InnerJoinOn<events::table, photos::table, EventPhoto> {
    events::table.inner_join(
        photos::table.on(photos::tenant_id.eq(events::tenant_id).and(photos::id.eq(events::photo_id))),
    )
}

/// At most `limit` published events of `tenant` after `after`, by position.
fn read(conn: &mut AnyConnection, tenant: &str, after: i64, limit: i64) -> QueryResult<Vec<FeedRow>> {
    with_photos()
        .filter(events::tenant_id.eq(tenant))
        .filter(events::position.gt(after))
        .order(events::position)
        .limit(limit)
        .select(FeedRow::as_select())
        .load(conn)
}

/// The published event of `tenant` with this id, if any.
pub(crate) fn by_id(conn: &mut AnyConnection, tenant: &str, id: &str) -> QueryResult<Option<FeedRow>> {
    with_photos()
        .filter(events::tenant_id.eq(tenant))
        .filter(events::id.eq(id))
        .select(FeedRow::as_select())
        .get_result(conn)
        .optional()
}

#[async_trait]
impl EventFeed for DieselWorkOrderRepo {
    async fn events(
        &self,
        tenant: &TenantId,
        after: FeedCursor,
        limit: usize,
    ) -> Result<Vec<FeedEvent>, Error> {
        let tenant = tenant.to_string();
        let after = i64::try_from(after.last_seen()).map_err(Error::internal)?;
        let limit = i64::try_from(limit).map_err(Error::internal)?;
        let rows =
            self.database().run(move |conn| read(conn, &tenant, after, limit).map_err(to_domain)).await?;
        rows.into_iter().map(FeedRow::into_event).collect()
    }
}

#[async_trait]
impl EventRelay for DieselWorkOrderRepo {
    async fn publish(&self) -> Result<usize, Error> {
        self.database().run_write(|conn| outbox::publish(conn).map_err(to_domain)).await
    }
}
