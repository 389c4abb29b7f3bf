//! The outbox: an event is written in the transaction of what it tells, without a position;
//! the relay publishes committed events by giving them the next positions of their tenant's
//! feed, one relay at a time (docs/architecture.md, "The events feed").

use std::collections::HashMap;

use diesel::prelude::*;
use workorder_domain::{Event, EventData};

use crate::connection::{AnyConnection, write_transaction};
use crate::rows::to_utc_timestamp;
use crate::schema::{events, webhook_deliveries, webhook_subscriptions};

/// The advisory lock a PostgreSQL relay holds while it numbers; any number, the same in every
/// server.
const RELAY_LOCK: i64 = 7_262_002;

diesel::define_sql_function! {
    /// PostgreSQL's advisory lock held until the transaction ends, without waiting for it.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

diesel::define_sql_function! {
    /// PostgreSQL's advisory lock held until the transaction ends.
    fn pg_advisory_xact_lock(key: diesel::sql_types::BigInt);
}

/// Keeps every relay out until the calling transaction ends: what commits in it is seen by
/// every later relay pass, and no pass runs meanwhile. On SQLite the write transaction already
/// excludes relays.
pub(crate) fn exclude_relays(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Pg(pg) = conn {
        diesel::select(pg_advisory_xact_lock(RELAY_LOCK)).execute(pg)?;
    }
    Ok(())
}

/// The most events one relay pass publishes: a bound on its transaction, not on throughput
/// (the next pass follows at once when this one was full).
pub(crate) const RELAY_BATCH: i64 = 1000;

/// An event row as the outbox holds it. A `photo.attached` event refers to its photo, whose
/// row holds the event's data.
#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
struct NewEventRow<'a> {
    tenant_id: &'a str,
    id: String,
    event_type: &'static str,
    occurred_at: time::PrimitiveDateTime,
    photo_id: String,
}

/// Writes `event` to the outbox, unpublished. Called inside the transaction that records
/// what the event tells.
pub(crate) fn record(conn: &mut AnyConnection, event: &Event) -> QueryResult<()> {
    diesel::insert_into(events::table).values(&NewEventRow::of(event)).execute(conn).map(drop)
}

/// Writes `events` to the outbox, unpublished, in one statement: [`record`] for a batch.
pub(crate) fn record_all(conn: &mut AnyConnection, events: &[Event]) -> QueryResult<()> {
    let rows: Vec<NewEventRow<'_>> = events.iter().map(NewEventRow::of).collect();
    let insert = diesel::insert_into(events::table).values(&rows);
    // A multi-row insert does not go through the multi-backend connection.
    match conn {
        AnyConnection::Pg(pg) => insert.execute(pg),
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite),
    }
    .map(drop)
}

impl<'a> NewEventRow<'a> {
    fn of(event: &'a Event) -> Self {
        let EventData::PhotoAttached(attached) = &event.data;
        Self {
            tenant_id: event.tenant.as_str(),
            id: event.id.to_string(),
            event_type: event.data.type_name(),
            occurred_at: to_utc_timestamp(event.occurred_at),
            photo_id: attached.photo_id.to_string(),
        }
    }
}

/// Publishes up to [`RELAY_BATCH`] committed events, and answers how many. Relays exclude each
/// other: on PostgreSQL by a transaction-scoped advisory lock (a relay that does not get it
/// returns 0: another is publishing), on SQLite by the write lock `BEGIN IMMEDIATE` takes.
/// Under that exclusion, the statement that finds unpublished events sees every transaction
/// committed before it, and none that commits later can take a position below the ones given
/// here: a late commit gets a later position.
pub(crate) fn publish(conn: &mut AnyConnection) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        if let AnyConnection::Pg(pg) = conn {
            let locked: bool = diesel::select(pg_try_advisory_xact_lock(RELAY_LOCK)).get_result(pg)?;
            if !locked {
                return Ok(0);
            }
        }
        let pending: Vec<(String, String)> = events::table
            .filter(events::position.is_null())
            .select((events::tenant_id, events::id))
            .order((events::tenant_id, events::id))
            .limit(RELAY_BATCH)
            .load(conn)?;
        let mut last: HashMap<String, i64> = HashMap::new();
        for (tenant, id) in &pending {
            let position = match last.get(tenant) {
                Some(position) => position + 1,
                None => {
                    let max: Option<i64> = events::table
                        .filter(events::tenant_id.eq(tenant))
                        .select(diesel::dsl::max(events::position))
                        .get_result(conn)?;
                    max.unwrap_or(0) + 1
                }
            };
            diesel::update(events::table.find((tenant, id)))
                .set(events::position.eq(position))
                .execute(conn)?;
            last.insert(tenant.clone(), position);
        }
        for tenant in last.keys() {
            let ids = pending.iter().filter(|(t, _)| t == tenant).map(|(_, id)| id.as_str());
            fan_out(conn, tenant, &ids.collect::<Vec<_>>())?;
        }
        Ok(pending.len())
    })
}

/// Makes the deliveries of newly published events of `tenant`: one per live subscription of
/// the tenant, due at once. In the relay's transaction, so an event is published and queued
/// for its subscribers together, once. "Live when published" rather than "created before the
/// event": a subscription is created under the relays' lock (`exclude_relays`), so every event
/// recorded after its creation is published after it and reaches it, with no window between
/// the creation's clock and its commit; an event recorded just before it and not yet published
/// (at most a relay pass) reaches it too, which at-least-once receivers take in their stride.
fn fan_out(conn: &mut AnyConnection, tenant: &str, ids: &[&str]) -> QueryResult<usize> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Integer, Text};
    let subscribers = events::table
        .inner_join(webhook_subscriptions::table.on(webhook_subscriptions::tenant_id.eq(events::tenant_id)))
        .filter(events::tenant_id.eq(tenant))
        .filter(events::id.eq_any(ids))
        .filter(webhook_subscriptions::deleted_at.is_null())
        .select((
            events::tenant_id,
            webhook_subscriptions::id,
            events::id,
            sql::<Text>("'PENDING'"),
            sql::<Integer>("0"),
            events::occurred_at,
        ));
    diesel::insert_into(webhook_deliveries::table)
        .values(subscribers)
        .into_columns((
            webhook_deliveries::tenant_id,
            webhook_deliveries::subscription_id,
            webhook_deliveries::event_id,
            webhook_deliveries::state,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
        ))
        .execute(conn)
}
