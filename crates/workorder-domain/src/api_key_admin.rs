//! The operators' use case on API keys: issue one for a tenant, list them, revoke one.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::Error;
use crate::identity::{ApiKeyId, ApiKeySecret, TenantId};
use crate::ports::{ApiKeyRegistry, Clock};

/// What a key is for, as operators name it: at most 200 characters, no control character
/// (keys are listed one a line). Empty is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiKeyLabel(String);

/// A label that breaks the rule of [`ApiKeyLabel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a key's label is at most 200 characters, without control characters")]
pub struct InvalidApiKeyLabel;

impl ApiKeyLabel {
    /// The longest label, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Checks a label.
    pub fn parse(raw: &str) -> Result<Self, InvalidApiKeyLabel> {
        if raw.chars().count() > Self::MAX_CHARS || raw.chars().any(char::is_control) {
            return Err(InvalidApiKeyLabel);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ApiKeyLabel {
    type Err = InvalidApiKeyLabel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ApiKeyLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key just made: shown once to the operator; the store keeps only what verifies it.
pub struct IssuedApiKey {
    /// The key's public id.
    pub id: ApiKeyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The whole key, to hand to the client. Never log it.
    pub secret: ApiKeySecret,
}

impl fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// A key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyListing {
    /// Its id.
    pub id: ApiKeyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// What it is for.
    pub label: ApiKeyLabel,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Why an operator's command on keys failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyAdminError {
    /// No key of any tenant has this id.
    #[error("no API key {0}")]
    NotFound(ApiKeyId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

/// The operators' use case on API keys.
#[derive(Clone)]
pub struct ApiKeyAdmin {
    registry: Arc<dyn ApiKeyRegistry>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ApiKeyAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyAdmin").finish_non_exhaustive()
    }
}

impl ApiKeyAdmin {
    /// The use case over its ports.
    pub fn new(registry: Arc<dyn ApiKeyRegistry>, clock: Arc<dyn Clock>) -> Self {
        Self { registry, clock }
    }

    /// Issues a key for `tenant`; the returned key is the only copy of its secret.
    pub async fn issue(
        &self,
        tenant: &TenantId,
        label: &ApiKeyLabel,
    ) -> Result<IssuedApiKey, ApiKeyAdminError> {
        Ok(self.registry.issue(tenant, label, self.clock.now()).await?)
    }

    /// The keys of one tenant or of all, by tenant then oldest first.
    pub async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<ApiKeyListing>, ApiKeyAdminError> {
        Ok(self.registry.list(tenant).await?)
    }

    /// Revokes a key; every server refuses it within 30 seconds. Revoking a revoked key again
    /// is not an error.
    pub async fn revoke(&self, id: ApiKeyId) -> Result<(), ApiKeyAdminError> {
        if self.registry.revoke(id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(ApiKeyAdminError::NotFound(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_at_most_200_characters_without_control_characters() {
        assert!(ApiKeyLabel::parse("").is_ok());
        assert!(ApiKeyLabel::parse(&"é".repeat(200)).is_ok());
        assert_eq!(ApiKeyLabel::parse(&"a".repeat(201)), Err(InvalidApiKeyLabel));
        assert_eq!(ApiKeyLabel::parse("tablet\n7"), Err(InvalidApiKeyLabel));
        assert_eq!(ApiKeyLabel::parse("tablet\t7"), Err(InvalidApiKeyLabel));
    }
}
