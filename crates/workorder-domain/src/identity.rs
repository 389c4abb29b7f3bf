//! Who is calling: tenants, API keys and the verified principal.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

/// A tenant: the customer every work order, photo and key belongs to.
///
/// A slug of 1 to 64 characters from `[a-z0-9-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

/// The text is not a tenant slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant is 1 to 64 characters from [a-z0-9-]")]
pub struct InvalidTenantId;

impl TenantId {
    /// Parses a tenant slug.
    pub fn parse(raw: &str) -> Result<Self, InvalidTenantId> {
        let valid = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid { Ok(Self(raw.to_owned())) } else { Err(InvalidTenantId) }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantId {
    type Err = InvalidTenantId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::ulid_id::ulid_id!(
    /// The public identifier of an API key (never the secret): a ULID.
    ApiKeyId
);

/// An API key's secret as a client presented it.
///
/// Its `Debug` prints nothing of the secret, so it cannot leak through a log line.
#[derive(Clone)]
pub struct ApiKeySecret(String);

/// An empty API key was presented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the API key is empty")]
pub struct EmptyApiKeySecret;

impl ApiKeySecret {
    /// Wraps a presented secret; an empty one is refused.
    pub fn new(secret: impl Into<String>) -> Result<Self, EmptyApiKeySecret> {
        let secret = secret.into();
        if secret.is_empty() { Err(EmptyApiKeySecret) } else { Ok(Self(secret)) }
    }

    /// The secret itself, for hashing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with a known secret in time independent of where they differ.
    pub fn matches(&self, known: &str) -> bool {
        self.0.as_bytes().ct_eq(known.as_bytes()).into()
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

/// A caller whose key has been verified: the tenant it acts for, and the key it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    tenant: TenantId,
    key_id: ApiKeyId,
}

impl Principal {
    /// A verified caller.
    pub fn new(tenant: TenantId, key_id: ApiKeyId) -> Self {
        Self { tenant, key_id }
    }

    /// The tenant the caller acts for; it sees only this tenant's work orders.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The key the caller authenticated with.
    pub fn key_id(&self) -> ApiKeyId {
        self.key_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_slugs_follow_the_contract() {
        let long = "a".repeat(64);
        for ok in ["acme", "a", "acme-2", "0", long.as_str()] {
            assert!(TenantId::parse(ok).is_ok(), "{ok:?}");
        }
        let too_long = "a".repeat(65);
        for bad in ["", "Acme", "acme_2", "acme corp", "é", too_long.as_str(), "acme\n"] {
            assert_eq!(TenantId::parse(bad), Err(InvalidTenantId), "{bad:?}");
        }
    }

    #[test]
    fn an_api_key_secret_never_shows_in_debug() {
        let secret = ApiKeySecret::new("wok_acme_s3cr3t").expect("non-empty");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", Some(&secret)).contains("s3cr3t"));
    }

    #[test]
    fn an_empty_api_key_secret_is_refused() {
        assert_eq!(ApiKeySecret::new("").err(), Some(EmptyApiKeySecret));
    }

    #[test]
    fn secrets_match_only_when_equal() {
        let secret = ApiKeySecret::new("abc").expect("non-empty");
        assert!(secret.matches("abc"));
        assert!(!secret.matches("abd"));
        assert!(!secret.matches("ab"));
        assert!(!secret.matches("abcd"));
    }
}
