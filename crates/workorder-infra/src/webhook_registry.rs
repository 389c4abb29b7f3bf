//! The webhook subscriptions on diesel: create (with a sealed secret), list with delivery
//! counts, delete, redeliver.

use async_trait::async_trait;
use diesel::prelude::*;
use time::OffsetDateTime;
use ulid::Ulid;
use workorder_domain::{
    Error, SubscriptionId, SubscriptionListing, TenantId, WebhookRegistry, WebhookSecret, WebhookUrl,
};

use crate::connection::write_transaction;
use crate::database::Database;
use crate::failure::to_domain;
use crate::outbox;
use crate::rows::to_utc_timestamp;
use crate::schema::{webhook_deliveries, webhook_subscriptions};
use crate::secrets::{SealError, SecretsKey, seal};

/// Bytes of a new signing secret (the contract asks at least 24).
const SECRET_BYTES: usize = 32;

/// The states of a delivery, as the table holds them.
pub(crate) const PENDING: &str = "PENDING";
pub(crate) const DELIVERED: &str = "DELIVERED";
pub(crate) const FAILED: &str = "FAILED";

/// What binds a sealed secret to its subscription.
pub(crate) fn seal_context(tenant: &str, id: &str) -> String {
    format!("webhook-secret/{tenant}/{id}")
}

/// [`WebhookRegistry`] on SQLite or PostgreSQL. Creating needs the secrets key; listing,
/// deleting and redelivering do not.
#[derive(Debug, Clone)]
pub struct DieselWebhookRegistry {
    db: Database,
    key: Option<SecretsKey>,
}

/// Creating a subscription needs `WORKORDER_SECRETS_KEY`.
#[derive(Debug, thiserror::Error)]
#[error("no secrets key: a webhook secret cannot be stored without WORKORDER_SECRETS_KEY")]
struct NoSecretsKey;

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
struct NewSubscriptionRow<'a> {
    tenant_id: &'a str,
    id: &'a str,
    url: &'a str,
    secret_ciphertext: Vec<u8>,
    created_at: time::PrimitiveDateTime,
}

impl DieselWebhookRegistry {
    /// A registry over `db`, sealing new secrets under `key`.
    pub fn new(db: Database, key: Option<SecretsKey>) -> Self {
        Self { db, key }
    }

    /// Whether any live subscription exists: a server that has some needs the secrets key.
    pub async fn any_live(&self) -> Result<bool, Error> {
        self.db
            .run(|conn| {
                diesel::select(diesel::dsl::exists(
                    webhook_subscriptions::table.filter(webhook_subscriptions::deleted_at.is_null()),
                ))
                .get_result(conn)
                .map_err(to_domain)
            })
            .await
    }
}

#[async_trait]
impl WebhookRegistry for DieselWebhookRegistry {
    async fn create(
        &self,
        tenant: &TenantId,
        url: &WebhookUrl,
        at: OffsetDateTime,
    ) -> Result<(SubscriptionId, WebhookSecret), Error> {
        let key = self.key.clone().ok_or_else(|| Error::internal(NoSecretsKey))?;
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| Error::unavailable(SealError::Random(e)))?;
        let secret = WebhookSecret::new(bytes).ok_or_else(|| Error::internal("a short secret"))?;
        let id = SubscriptionId::new(Ulid::generate());
        let (tenant, id_text, url) = (tenant.to_string(), id.to_string(), url.as_str().to_owned());
        let sealed =
            seal(&key, &seal_context(&tenant, &id_text), secret.expose()).map_err(Error::unavailable)?;
        let at = to_utc_timestamp(at);
        self.db
            .run_write(move |conn| {
                let row = NewSubscriptionRow {
                    tenant_id: &tenant,
                    id: &id_text,
                    url: &url,
                    secret_ciphertext: sealed,
                    created_at: at,
                };
                write_transaction(conn, |conn| {
                    outbox::exclude_relays(conn)?;
                    diesel::insert_into(webhook_subscriptions::table).values(&row).execute(conn)
                })
                .map_err(to_domain)
            })
            .await?;
        Ok((id, secret))
    }

    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<SubscriptionListing>, Error> {
        let tenant = tenant.map(ToString::to_string);
        let rows = self
            .db
            .run(move |conn| {
                let mut query = webhook_subscriptions::table
                    .filter(webhook_subscriptions::deleted_at.is_null())
                    .select((
                        webhook_subscriptions::tenant_id,
                        webhook_subscriptions::id,
                        webhook_subscriptions::url,
                        webhook_subscriptions::created_at,
                    ))
                    .order((webhook_subscriptions::tenant_id, webhook_subscriptions::id))
                    .into_boxed();
                if let Some(tenant) = &tenant {
                    query = query.filter(webhook_subscriptions::tenant_id.eq(tenant));
                }
                let subscriptions: Vec<(String, String, String, time::PrimitiveDateTime)> =
                    query.load(conn).map_err(to_domain)?;
                let mut listed = Vec::new();
                for (tenant, id, url, created_at) in subscriptions {
                    let of_it = webhook_deliveries::table
                        .filter(webhook_deliveries::tenant_id.eq(&tenant))
                        .filter(webhook_deliveries::subscription_id.eq(&id));
                    let count =
                        |state: &'static str, retried: bool, conn: &mut crate::connection::AnyConnection| {
                            let mut q =
                                of_it.filter(webhook_deliveries::state.eq(state)).count().into_boxed();
                            if retried {
                                q = q.filter(webhook_deliveries::attempts.gt(0));
                            }
                            q.get_result::<i64>(conn).map_err(to_domain)
                        };
                    let (pending, retrying, failed) = (
                        count(PENDING, false, conn)?,
                        count(PENDING, true, conn)?,
                        count(FAILED, false, conn)?,
                    );
                    listed.push((tenant, id, url, created_at, pending, retrying, failed));
                }
                Ok(listed)
            })
            .await?;
        rows.into_iter()
            .map(|(tenant, id, url, created_at, pending, retrying, failed)| {
                let count = |n: i64| u64::try_from(n).map_err(Error::internal);
                Ok(SubscriptionListing {
                    id: id.parse().map_err(Error::internal)?,
                    tenant: TenantId::parse(&tenant).map_err(Error::internal)?,
                    url: WebhookUrl::parse(&url).map_err(Error::internal)?,
                    created_at: created_at.assume_utc(),
                    pending: count(pending)?,
                    retrying: count(retrying)?,
                    failed: count(failed)?,
                })
            })
            .collect()
    }

    async fn delete(&self, id: SubscriptionId, at: OffsetDateTime) -> Result<bool, Error> {
        let (id, at) = (id.to_string(), to_utc_timestamp(at));
        let deleted = self
            .db
            .run_write(move |conn| {
                diesel::update(
                    webhook_subscriptions::table
                        .filter(webhook_subscriptions::id.eq(&id))
                        .filter(webhook_subscriptions::deleted_at.is_null()),
                )
                .set(webhook_subscriptions::deleted_at.eq(at))
                .execute(conn)
                .map_err(to_domain)
            })
            .await?;
        Ok(deleted > 0)
    }

    async fn redeliver(&self, id: SubscriptionId, at: OffsetDateTime) -> Result<Option<u64>, Error> {
        let (id, at) = (id.to_string(), to_utc_timestamp(at));
        self.db
            .run_write(move |conn| {
                write_transaction(conn, |conn| {
                    let tenant: Option<String> = webhook_subscriptions::table
                        .filter(webhook_subscriptions::id.eq(&id))
                        .filter(webhook_subscriptions::deleted_at.is_null())
                        .select(webhook_subscriptions::tenant_id)
                        .first(conn)
                        .optional()?;
                    let Some(tenant) = tenant else { return Ok(None) };
                    let n = diesel::update(
                        webhook_deliveries::table
                            .filter(webhook_deliveries::tenant_id.eq(&tenant))
                            .filter(webhook_deliveries::subscription_id.eq(&id))
                            .filter(webhook_deliveries::state.eq(FAILED)),
                    )
                    .set((
                        webhook_deliveries::state.eq(PENDING),
                        webhook_deliveries::attempts.eq(0),
                        webhook_deliveries::next_attempt_at.eq(at),
                        webhook_deliveries::finished_at.eq(None::<time::PrimitiveDateTime>),
                    ))
                    .execute(conn)?;
                    Ok(Some(n as u64))
                })
                .map_err(to_domain)
            })
            .await
    }
}
