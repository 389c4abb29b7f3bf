//! The webhook delivery queue on diesel: claim due deliveries under a lease, settle them.
//!
//! A claim moves a delivery's `next_attempt_at` past its lease in the claiming transaction,
//! so no other worker (in this process or another server) claims it until the lease ends. On
//! PostgreSQL the claim reads `FOR UPDATE SKIP LOCKED`, so concurrent claims take different
//! rows instead of waiting for each other; on SQLite the claim's `BEGIN IMMEDIATE` serialises
//! claims. A worker killed mid-delivery leaves the lease to run out; the delivery is then
//! claimed again (at least once).

use async_trait::async_trait;
use diesel::prelude::*;
use time::OffsetDateTime;
use workorder_domain::{
    DeliveryKey, DeliveryQueue, DueDelivery, Error, Settlement, WebhookSecret, WebhookUrl,
};

use crate::connection::{AnyConnection, write_transaction};
use crate::database::Database;
use crate::event_feed;
use crate::failure::to_domain;
use crate::rows::to_utc_timestamp;
use crate::schema::{events, webhook_deliveries, webhook_subscriptions};
use crate::secrets::{SealError, SecretsKey, open};
use crate::webhook_registry::{DELIVERED, FAILED, PENDING, seal_context};

/// [`DeliveryQueue`] on SQLite or PostgreSQL, opening secrets with `key`.
#[derive(Debug, Clone)]
pub struct DieselDeliveryQueue {
    db: Database,
    key: SecretsKey,
}

impl DieselDeliveryQueue {
    /// A queue over `db`.
    pub fn new(db: Database, key: SecretsKey) -> Self {
        Self { db, key }
    }
}

/// A claimed row: which delivery, and its attempt's number.
type Claimed = (String, String, String, i32);

fn claim(
    conn: &mut AnyConnection,
    now: time::PrimitiveDateTime,
    until: time::PrimitiveDateTime,
    max: i64,
) -> QueryResult<Vec<Claimed>> {
    write_transaction(conn, |conn| {
        let live = webhook_subscriptions::table
            .filter(webhook_subscriptions::tenant_id.eq(webhook_deliveries::tenant_id))
            .filter(webhook_subscriptions::id.eq(webhook_deliveries::subscription_id))
            .filter(webhook_subscriptions::deleted_at.is_null());
        let due = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq(PENDING))
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(diesel::dsl::exists(live))
            .order(webhook_deliveries::next_attempt_at)
            .limit(max)
            .select((
                webhook_deliveries::tenant_id,
                webhook_deliveries::subscription_id,
                webhook_deliveries::event_id,
                webhook_deliveries::attempts,
            ));
        let rows: Vec<Claimed> = match conn {
            AnyConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
            AnyConnection::Sqlite(sqlite) => due.load(sqlite)?,
        };
        for (tenant, subscription, event, _) in &rows {
            diesel::update(webhook_deliveries::table.find((tenant, subscription, event)))
                .set((
                    webhook_deliveries::next_attempt_at.eq(until),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                ))
                .execute(conn)?;
        }
        Ok(rows.into_iter().map(|(t, s, e, attempts)| (t, s, e, attempts + 1)).collect())
    })
}

/// Marks a claimed delivery failed, with why.
fn give_up(
    conn: &mut AnyConnection,
    (tenant, subscription, event, _): &Claimed,
    why: String,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find((tenant, subscription, event)))
        .set((webhook_deliveries::state.eq(FAILED), webhook_deliveries::last_error.eq(Some(why))))
        .execute(conn)
        .map(drop)
}

/// The subscription's URL and sealed secret, and the event, of a claimed delivery.
fn details(
    conn: &mut AnyConnection,
    (tenant, subscription, event, _): &Claimed,
) -> QueryResult<Option<(String, Vec<u8>, event_feed::FeedRow)>> {
    let Some((url, sealed)) = webhook_subscriptions::table
        .find((tenant, subscription))
        .select((webhook_subscriptions::url, webhook_subscriptions::secret_ciphertext))
        .first::<(String, Vec<u8>)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(event_feed::by_id(conn, tenant, event)?.map(|row| (url, sealed, row)))
}

#[async_trait]
impl DeliveryQueue for DieselDeliveryQueue {
    async fn claim(
        &self,
        now: OffsetDateTime,
        lease: std::time::Duration,
        max: usize,
    ) -> Result<Vec<DueDelivery>, Error> {
        let (until, now) = (to_utc_timestamp(now + lease), to_utc_timestamp(now));
        let max = i64::try_from(max).map_err(Error::internal)?;
        let key = self.key.clone();
        self.db
            .run_write(move |conn| {
                let claimed = claim(conn, now, until, max).map_err(to_domain)?;
                let mut due = Vec::new();
                for row in &claimed {
                    let Some((url, sealed, event)) = details(conn, row).map_err(to_domain)? else { continue };
                    let (tenant, subscription, _, attempt) = row;
                    let opened = open(&key, &seal_context(tenant, subscription), &sealed);
                    let Some(secret) = opened.ok().and_then(WebhookSecret::new) else {
                        // Sealed under another key, or altered: no attempt can sign it, and
                        // retrying will not help. Given up, with the reason, for the operator.
                        log::error!(
                            "webhook {subscription}: its secret does not open under WORKORDER_SECRETS_KEY"
                        );
                        give_up(conn, row, SealError::DoesNotOpen.to_string()).map_err(to_domain)?;
                        continue;
                    };
                    let event = event.into_event()?.event;
                    due.push(DueDelivery {
                        key: DeliveryKey {
                            tenant: event.tenant.clone(),
                            subscription_id: subscription.parse().map_err(Error::internal)?,
                            event_id: event.id,
                        },
                        url: WebhookUrl::parse(&url).map_err(Error::internal)?,
                        secret,
                        event,
                        attempt: u32::try_from(*attempt).map_err(Error::internal)?,
                    });
                }
                Ok(due)
            })
            .await
    }

    async fn settle(
        &self,
        key: &DeliveryKey,
        settlement: Settlement,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let (tenant, subscription, event) =
            (key.tenant.to_string(), key.subscription_id.to_string(), key.event_id.to_string());
        let now = to_utc_timestamp(now);
        self.db
            .run_write(move |conn| {
                let row = webhook_deliveries::table.find((&tenant, &subscription, &event));
                let none = None::<time::PrimitiveDateTime>;
                match settlement {
                    Settlement::Delivered => diesel::update(row)
                        .set((
                            webhook_deliveries::state.eq(DELIVERED),
                            webhook_deliveries::finished_at.eq(Some(now)),
                            webhook_deliveries::last_error.eq(None::<String>),
                        ))
                        .execute(conn),
                    Settlement::RetryAt(at, failure) => diesel::update(row)
                        .set((
                            webhook_deliveries::next_attempt_at.eq(to_utc_timestamp(at)),
                            webhook_deliveries::last_error.eq(Some(failure.0)),
                            webhook_deliveries::finished_at.eq(none),
                        ))
                        .execute(conn),
                    Settlement::Failed(failure) => diesel::update(row)
                        .set((
                            webhook_deliveries::state.eq(FAILED),
                            webhook_deliveries::finished_at.eq(Some(now)),
                            webhook_deliveries::last_error.eq(Some(failure.0)),
                        ))
                        .execute(conn),
                }
                .map(drop)
                .map_err(to_domain)
            })
            .await
    }

    async fn oldest_pending(&self) -> Result<Option<OffsetDateTime>, Error> {
        let oldest: Option<time::PrimitiveDateTime> = self
            .db
            .run(|conn| {
                webhook_deliveries::table
                    .inner_join(
                        events::table.on(events::tenant_id
                            .eq(webhook_deliveries::tenant_id)
                            .and(events::id.eq(webhook_deliveries::event_id))),
                    )
                    .filter(webhook_deliveries::state.eq(PENDING))
                    .select(diesel::dsl::min(events::occurred_at))
                    .get_result(conn)
                    .map_err(to_domain)
            })
            .await?;
        Ok(oldest.map(time::PrimitiveDateTime::assume_utc))
    }
}
