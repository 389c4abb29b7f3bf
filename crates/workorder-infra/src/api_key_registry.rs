//! The operators' side of the key store on diesel: issue, list and revoke keys.

use async_trait::async_trait;
use diesel::prelude::*;
use time::OffsetDateTime;
use workorder_domain::{ApiKeyId, ApiKeyLabel, ApiKeyListing, ApiKeyRegistry, Error, IssuedApiKey, TenantId};

use crate::api_keys::{generate_key, hash_secret};
use crate::database::Database;
use crate::failure::to_domain;
use crate::rows::{ApiKeyRow, to_utc_timestamp};
use crate::schema::api_keys;

/// [`ApiKeyRegistry`] on SQLite or PostgreSQL; keys are made by [`generate_key`] and stored as
/// their hash.
#[derive(Debug, Clone)]
pub struct DieselApiKeyRegistry {
    db: Database,
}

impl DieselApiKeyRegistry {
    /// A registry over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ApiKeyRegistry for DieselApiKeyRegistry {
    async fn issue(
        &self,
        tenant: &TenantId,
        label: &ApiKeyLabel,
        at: OffsetDateTime,
    ) -> Result<IssuedApiKey, Error> {
        let key = generate_key(tenant.clone()).map_err(Error::unavailable)?;
        let row = ApiKeyRow {
            tenant_id: key.tenant.to_string(),
            id: key.id.to_string(),
            label: label.as_str().to_owned(),
            secret_hash: hash_secret(&key.secret),
            created_at: to_utc_timestamp(at),
            revoked_at: None,
        };
        self.db
            .run_write(move |conn| {
                diesel::insert_into(api_keys::table).values(&row).execute(conn).map_err(to_domain)
            })
            .await?;
        Ok(key)
    }

    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<ApiKeyListing>, Error> {
        let tenant = tenant.map(TenantId::to_string);
        let rows: Vec<ApiKeyRow> = self
            .db
            .run(move |conn| {
                let mut query = api_keys::table.select(ApiKeyRow::as_select()).into_boxed();
                if let Some(tenant) = tenant {
                    query = query.filter(api_keys::tenant_id.eq(tenant));
                }
                query
                    .order((api_keys::tenant_id, api_keys::created_at, api_keys::id))
                    .load(conn)
                    .map_err(to_domain)
            })
            .await?;
        rows.into_iter().map(listing).collect()
    }

    async fn revoke(&self, id: ApiKeyId, at: OffsetDateTime) -> Result<bool, Error> {
        let (id, at) = (id.to_string(), to_utc_timestamp(at));
        self.db
            .run_write(move |conn| {
                let with_id = api_keys::table.filter(api_keys::id.eq(&id));
                // Revoking a revoked key again keeps the first revocation's instant; only
                // then is a second look needed, to tell it from a key that does not exist.
                let revoked = diesel::update(with_id.filter(api_keys::revoked_at.is_null()))
                    .set(api_keys::revoked_at.eq(at))
                    .execute(conn)
                    .map_err(to_domain)?;
                if revoked > 0 {
                    return Ok(true);
                }
                diesel::select(diesel::dsl::exists(with_id)).get_result(conn).map_err(to_domain)
            })
            .await
    }
}

fn listing(row: ApiKeyRow) -> Result<ApiKeyListing, Error> {
    Ok(ApiKeyListing {
        id: row.id.parse().map_err(Error::internal)?,
        tenant: TenantId::parse(&row.tenant_id).map_err(Error::internal)?,
        label: ApiKeyLabel::parse(&row.label).map_err(Error::internal)?,
        created_at: row.created_at.assume_utc(),
        revoked_at: row.revoked_at.map(|at| at.assume_utc()),
    })
}
