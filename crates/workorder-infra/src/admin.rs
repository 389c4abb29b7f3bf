//! What operators do from the CLI: keys and work orders. Synchronous, off any request path.

use time::OffsetDateTime;
use workorder_domain::{ApiKeyId, TenantId, WorkOrderId, WorkOrderStatus};

use crate::api_keys::{NewApiKey, hash_secret};
use crate::database::{Database, InfraError};
use crate::store::{ApiKeyRow, WorkOrderRow, to_utc_timestamp};

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// Its id.
    pub id: String,
    /// Its tenant.
    pub tenant: String,
    /// What it is for.
    pub label: String,
    /// When it was made (UTC).
    pub created_at: OffsetDateTime,
    /// When it was revoked (UTC), if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ApiKeyRow> for ApiKeyInfo {
    fn from(row: ApiKeyRow) -> Self {
        Self {
            id: row.id,
            tenant: row.tenant_id,
            label: row.label,
            created_at: row.created_at.assume_utc(),
            revoked_at: row.revoked_at.map(|at| at.assume_utc()),
        }
    }
}

impl Database {
    /// Makes a key for `tenant` and stores its hash; the returned key is the only copy.
    /// The label is free text of at most 200 characters without control characters (it is
    /// printed one key a line).
    pub fn create_api_key(&self, tenant: TenantId, label: &str) -> Result<NewApiKey, InfraError> {
        if label.chars().count() > 200 || label.chars().any(char::is_control) {
            return Err(InfraError::Invalid(
                "a key's label is at most 200 characters, without control characters".into(),
            ));
        }
        let key = NewApiKey::generate(tenant)?;
        let row = ApiKeyRow {
            tenant_id: key.tenant.to_string(),
            id: key.id.to_string(),
            label: label.to_owned(),
            secret_hash: hash_secret(&key.secret),
            created_at: to_utc_timestamp(OffsetDateTime::now_utc()),
            revoked_at: None,
        };
        self.blocking(|store| Ok(store.insert_api_key(&row)?))?;
        Ok(key)
    }

    /// The keys, of one tenant or all, oldest first.
    pub fn list_api_keys(&self, tenant: Option<&TenantId>) -> Result<Vec<ApiKeyInfo>, InfraError> {
        let rows = self.blocking(|store| Ok(store.list_api_keys(tenant.map(TenantId::as_str))?))?;
        Ok(rows.into_iter().map(ApiKeyInfo::from).collect())
    }

    /// Revokes a key. Every server refuses it within the key cache's TTL (at most 30 s).
    pub fn revoke_api_key(&self, id: ApiKeyId) -> Result<(), InfraError> {
        let at = to_utc_timestamp(OffsetDateTime::now_utc());
        let revoked = self.blocking(|store| Ok(store.revoke_api_key(&id.to_string(), at)?))?;
        // Revoking a revoked key again changes nothing and is not an error.
        if revoked == 0 && !self.blocking(|store| Ok(store.api_key_exists(&id.to_string())?))? {
            return Err(InfraError::NotFound(format!("no API key {id}")));
        }
        Ok(())
    }

    /// Creates a work order; a new random id unless one is given.
    pub fn create_work_order(
        &self,
        tenant: &TenantId,
        id: Option<WorkOrderId>,
        status: WorkOrderStatus,
        title: Option<&str>,
    ) -> Result<WorkOrderId, InfraError> {
        let id = id.unwrap_or_else(|| WorkOrderId::from_uuid(uuid::Uuid::new_v4()));
        let now = to_utc_timestamp(OffsetDateTime::now_utc());
        let row = WorkOrderRow {
            tenant_id: tenant.to_string(),
            id: id.to_string(),
            status: status.as_str().to_owned(),
            title: title.map(str::to_owned),
            created_at: now,
            updated_at: now,
        };
        match self.blocking(|store| Ok(store.insert_work_order(&row)?))? {
            0 => Err(InfraError::AlreadyExists(format!("work order {id} already exists in tenant {tenant}"))),
            _ => Ok(id),
        }
    }

    /// Changes a work order's status. Without `tenant`, the id must be unique across tenants.
    pub fn set_work_order_status(
        &self,
        id: WorkOrderId,
        status: WorkOrderStatus,
        tenant: Option<&TenantId>,
    ) -> Result<(), InfraError> {
        let id_text = id.to_string();
        let tenants =
            self.blocking(|store| Ok(store.work_order_tenants(&id_text, tenant.map(TenantId::as_str))?))?;
        let tenant = match tenants.as_slice() {
            [] => return Err(InfraError::NotFound(format!("no work order {id}"))),
            [tenant] => tenant,
            _ => {
                return Err(InfraError::Ambiguous(format!(
                    "work order {id} exists in several tenants ({}); name one with --tenant",
                    tenants.join(", ")
                )));
            }
        };
        let at = to_utc_timestamp(OffsetDateTime::now_utc());
        self.blocking(|store| Ok(store.update_work_order_status(tenant, &id_text, status.as_str(), at)?))?;
        Ok(())
    }
}
