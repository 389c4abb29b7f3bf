//! API keys: their format, their hash, and the verifier with its short-lived cache.
//!
//! A key reads `wok_<tenant>_<id>_<secret>`: the tenant and the key's ULID say which row to
//! read (a tenant-scoped primary-key look-up, shardable by tenant), and the secret is 256 bits
//! from the OS's random source, in hex. The database keeps only the SHA-256 of the whole key;
//! with 256 random bits a plain hash is enough (no password to stretch), and comparisons of
//! hashes are constant-time.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use ulid::Ulid;
use workorder_domain::{ApiKeyId, ApiKeySecret, ApiKeyVerifier, Error, IssuedApiKey, Principal, TenantId};

use crate::database::Database;
use crate::failure::to_domain;
use crate::rows::ApiKeyRow;
use crate::schema::api_keys;

const PREFIX: &str = "wok";
const SECRET_BYTES: usize = 32;

/// The OS's random source failed; no key can be made safely.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomSourceFailed(getrandom::Error);

/// Makes a key for `tenant` from the OS's secure random source.
pub fn generate_key(tenant: TenantId) -> Result<IssuedApiKey, RandomSourceFailed> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(RandomSourceFailed)?;
    let id = ApiKeyId::new(Ulid::generate());
    let mut key = format!("{PREFIX}_{tenant}_{id}_");
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    // Cannot fail: the key starts with the non-empty prefix, and `new` refuses only "".
    let secret = ApiKeySecret::new(key).expect("a key with a prefix is not empty");
    Ok(IssuedApiKey { id, tenant, secret })
}

/// The SHA-256 of a presented key: what the database stores and compares.
pub(crate) fn hash_secret(secret: &ApiKeySecret) -> Vec<u8> {
    Sha256::digest(secret.expose().as_bytes()).to_vec()
}

/// Which row a presented key names, if it has our shape.
pub(crate) fn parse_presented(secret: &ApiKeySecret) -> Option<(TenantId, ApiKeyId)> {
    let mut parts = secret.expose().split('_');
    let (prefix, tenant, id, hex) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let well_formed = prefix == PREFIX
        && parts.next().is_none()
        && hex.len() == SECRET_BYTES * 2
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return None;
    }
    Some((TenantId::parse(tenant).ok()?, id.parse().ok()?))
}

/// How long a verified key is trusted without reading the database again; a revocation takes
/// effect within this time. The contract promises a revoked key is refused within 30 s in
/// all, so the TTL is at most 25 s: the rest is for a request that verified just before its
/// entry ran out and is still at work (its database timeout, 2 s by default), and for the
/// time from the revocation's commit to the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCacheTtl(Duration);

/// A cache TTL over 25 s would break the revocation promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the API-key cache TTL must be at most 25 s, so that a revoked key is refused within 30 s")]
pub struct KeyCacheTtlTooLong;

impl KeyCacheTtl {
    /// The longest TTL that keeps the promise.
    pub const MAX: Duration = Duration::from_secs(25);

    /// A TTL of at most 25 s; zero disables the cache.
    pub fn new(ttl: Duration) -> Result<Self, KeyCacheTtlTooLong> {
        if ttl <= Self::MAX { Ok(Self(ttl)) } else { Err(KeyCacheTtlTooLong) }
    }
}

impl Default for KeyCacheTtl {
    fn default() -> Self {
        Self(Duration::from_secs(10))
    }
}

#[derive(Clone)]
struct Cached {
    row: ApiKeyRow,
    read_at: Instant,
}

/// Keys the cache holds at most. Past that, moka evicts the keys seen least (TinyLFU), one by
/// one: the busy keys stay cached, instead of every key going back to the database at once
/// when a table fills (the cliff of a cache that is emptied when full).
const CACHE_CAPACITY: u64 = 100_000;

/// Verifies keys against the database, keeping rows it read for the TTL so that the hot path
/// makes no round trip for a known key.
pub struct DieselApiKeyVerifier {
    db: Database,
    ttl: KeyCacheTtl,
    cache: moka::sync::Cache<(TenantId, ApiKeyId), Cached>,
}

impl std::fmt::Debug for DieselApiKeyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselApiKeyVerifier").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl DieselApiKeyVerifier {
    /// A verifier over `db`, trusting a read key for `ttl`.
    pub fn new(db: Database, ttl: KeyCacheTtl) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(CACHE_CAPACITY)
            // Evicts what ran out; `cached` checks the instant of the read itself, which is
            // earlier than the insertion moka counts from.
            .time_to_live(ttl.0.max(Duration::from_millis(1)))
            .build();
        Self { db, ttl, cache }
    }

    fn cached(&self, key: &(TenantId, ApiKeyId)) -> Option<ApiKeyRow> {
        self.cache.get(key).filter(|c| c.read_at.elapsed() < self.ttl.0).map(|c| c.row)
    }

    fn remember(&self, key: (TenantId, ApiKeyId), row: ApiKeyRow, read_at: Instant) {
        if !self.ttl.0.is_zero() {
            self.cache.insert(key, Cached { row, read_at });
        }
    }
}

#[async_trait]
impl ApiKeyVerifier for DieselApiKeyVerifier {
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error> {
        let (tenant, id) = parse_presented(presented).ok_or(Error::Unauthenticated)?;
        let cache_key = (tenant.clone(), id);
        let row = match self.cached(&cache_key) {
            Some(row) => row,
            None => {
                // The instant is taken before the read, so a revocation that the read missed
                // is seen at most one TTL after it.
                let read_at = Instant::now();
                let (t, i) = (tenant.to_string(), id.to_string());
                let row = self
                    .db
                    .run(move |conn| {
                        api_keys::table
                            .find((t, i))
                            .select(ApiKeyRow::as_select())
                            .get_result(conn)
                            .optional()
                            .map_err(to_domain)
                    })
                    .await?
                    .ok_or(Error::Unauthenticated)?;
                self.remember(cache_key, row.clone(), read_at);
                row
            }
        };
        let matches: bool = hash_secret(presented).ct_eq(&row.secret_hash).into();
        if !matches || row.revoked_at.is_some() {
            return Err(Error::Unauthenticated);
        }
        Ok(Principal::new(tenant, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_back_to_its_tenant_and_id() {
        let key = generate_key(TenantId::parse("acme-2").unwrap()).unwrap();
        let (tenant, id) = parse_presented(&key.secret).unwrap();
        assert_eq!((tenant.as_str(), id), ("acme-2", key.id));
        assert!(key.secret.expose().starts_with("wok_acme-2_"));
    }

    #[test]
    fn generated_keys_carry_256_random_bits() {
        let a = generate_key(TenantId::parse("t").unwrap()).unwrap();
        let b = generate_key(TenantId::parse("t").unwrap()).unwrap();
        let hex = |k: &IssuedApiKey| k.secret.expose().rsplit('_').next().unwrap().to_owned();
        assert_eq!(hex(&a).len(), 64);
        assert_ne!(hex(&a), hex(&b));
        assert!(!format!("{a:?}").contains(&hex(&a)));
    }

    #[test]
    fn keys_of_another_shape_name_no_row() {
        let valid = generate_key(TenantId::parse("acme").unwrap()).unwrap();
        let v = valid.secret.expose();
        for bad in [
            "x".to_owned(),
            v.replacen("wok_", "wxk_", 1),
            format!("{v}_extra"),
            v[..v.len() - 1].to_owned(),
            v.replacen("acme", "ACME", 1),
            format!("{}g", &v[..v.len() - 1]),
        ] {
            assert!(parse_presented(&ApiKeySecret::new(bad.clone()).unwrap()).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_cache_ttl_leaves_room_for_the_thirty_second_revocation_promise() {
        assert!(KeyCacheTtl::new(Duration::from_secs(25)).is_ok());
        assert_eq!(KeyCacheTtl::new(Duration::from_secs(26)), Err(KeyCacheTtlTooLong));
    }
}
