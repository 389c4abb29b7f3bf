//! API keys in memory: verified, issued, listed and revoked.

use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use ulid::Ulid;

use super::lock;
use crate::api_key_admin::{ApiKeyLabel, ApiKeyListing, IssuedApiKey};
use crate::error::Error;
use crate::identity::{ApiKeyId, ApiKeySecret, Principal, TenantId};
use crate::ports::{ApiKeyRegistry, ApiKeyVerifier};

#[derive(Debug)]
struct KnownKey {
    secret: String,
    principal: Principal,
    label: ApiKeyLabel,
    created_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
}

/// API keys in memory, compared in constant time; a revocation takes effect at once.
#[derive(Debug, Default)]
pub struct InMemoryApiKeyVerifier {
    keys: Mutex<Vec<KnownKey>>,
    unavailable: std::sync::atomic::AtomicBool,
}

impl InMemoryApiKeyVerifier {
    /// Registers `secret` as a key of `principal`.
    pub fn add_key(&self, secret: impl Into<String>, principal: Principal) {
        lock(&self.keys).push(KnownKey {
            secret: secret.into(),
            principal,
            label: ApiKeyLabel::default(),
            created_at: OffsetDateTime::now_utc(),
            revoked_at: None,
        });
    }

    /// Makes every call fail with [`Error::Unavailable`] (or work again), to test outages.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, std::sync::atomic::Ordering::Relaxed);
    }

    fn check(&self) -> Result<(), Error> {
        if self.unavailable.load(std::sync::atomic::Ordering::Relaxed) {
            Err(Error::unavailable(super::SwitchedOff))
        } else {
            Ok(())
        }
    }

    /// Revokes the key with this id.
    pub fn revoke(&self, key_id: ApiKeyId) {
        for key in lock(&self.keys).iter_mut().filter(|k| k.principal.key_id() == key_id) {
            key.revoked_at.get_or_insert_with(OffsetDateTime::now_utc);
        }
    }
}

#[async_trait]
impl ApiKeyVerifier for InMemoryApiKeyVerifier {
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error> {
        self.check()?;
        let keys = lock(&self.keys);
        // Every key is compared, so the time taken does not tell which one nearly matched.
        let mut found = None;
        for key in keys.iter() {
            if presented.matches(&key.secret) && key.revoked_at.is_none() {
                found = Some(key.principal.clone());
            }
        }
        found.ok_or(Error::Unauthenticated)
    }
}

#[async_trait]
impl ApiKeyRegistry for InMemoryApiKeyVerifier {
    async fn issue(
        &self,
        tenant: &TenantId,
        label: &ApiKeyLabel,
        at: OffsetDateTime,
    ) -> Result<IssuedApiKey, Error> {
        let id = ApiKeyId::new(Ulid::generate());
        // Two ULIDs carry 160 random bits: enough for a test double, which is all this is.
        let secret = format!("mem_{tenant}_{id}_{}", Ulid::generate());
        let principal = Principal::new(tenant.clone(), id);
        lock(&self.keys).push(KnownKey {
            secret: secret.clone(),
            principal,
            label: label.clone(),
            created_at: at,
            revoked_at: None,
        });
        let secret = ApiKeySecret::new(secret).map_err(Error::internal)?;
        Ok(IssuedApiKey { id, tenant: tenant.clone(), secret })
    }

    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<ApiKeyListing>, Error> {
        self.check()?;
        let mut listed: Vec<ApiKeyListing> = lock(&self.keys)
            .iter()
            .filter(|k| tenant.is_none_or(|t| t == k.principal.tenant()))
            .map(|k| ApiKeyListing {
                id: k.principal.key_id(),
                tenant: k.principal.tenant().clone(),
                label: k.label.clone(),
                created_at: k.created_at,
                revoked_at: k.revoked_at,
            })
            .collect();
        listed.sort_by(|a, b| (&a.tenant, a.created_at, a.id).cmp(&(&b.tenant, b.created_at, b.id)));
        Ok(listed)
    }

    async fn revoke(&self, id: ApiKeyId, at: OffsetDateTime) -> Result<bool, Error> {
        self.check()?;
        let mut found = false;
        for key in lock(&self.keys).iter_mut().filter(|k| k.principal.key_id() == id) {
            key.revoked_at.get_or_insert(at);
            found = true;
        }
        Ok(found)
    }
}
