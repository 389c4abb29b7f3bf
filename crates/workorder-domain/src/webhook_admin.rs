//! The operators' use case on webhooks: subscribe a URL for a tenant, list, delete, and
//! redeliver what was given up.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::identity::TenantId;
use crate::ports::{Clock, HostResolver, WebhookRegistry};
use crate::webhook::{SubscriptionId, SubscriptionListing, TargetPolicy, WebhookSecret, WebhookUrl};

/// Why a webhook command failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookAdminError {
    /// The URL resolves to an address deliveries may not reach.
    #[error(
        "{url} resolves to {address}, a loopback, private, link-local or unspecified address (set WORKORDER_WEBHOOK_ALLOW_PRIVATE=true to allow it)"
    )]
    RefusedTarget {
        /// The URL.
        url: String,
        /// The address.
        address: std::net::IpAddr,
    },
    /// The URL's host does not resolve.
    #[error("{url}: its host does not resolve: {source}")]
    Unresolved {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: Error,
    },
    /// No subscription has this id.
    #[error("no webhook subscription has the id {0}")]
    NotFound(SubscriptionId),
    /// The store failed.
    #[error("the webhook store failed: {0}")]
    Store(#[from] Error),
}

/// The WebhookAdmin use case.
#[derive(Clone)]
pub struct WebhookAdmin {
    registry: Arc<dyn WebhookRegistry>,
    resolver: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
    targets: TargetPolicy,
}

impl fmt::Debug for WebhookAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookAdmin").field("targets", &self.targets).finish_non_exhaustive()
    }
}

impl WebhookAdmin {
    /// The use case over its ports.
    pub fn new(
        registry: Arc<dyn WebhookRegistry>,
        resolver: Arc<dyn HostResolver>,
        clock: Arc<dyn Clock>,
        targets: TargetPolicy,
    ) -> Self {
        Self { registry, resolver, clock, targets }
    }

    /// Subscribes `url` to `tenant`'s events from now on, if every address its host resolves
    /// to may be reached; the new subscription's id and secret (the only time it is shown).
    pub async fn create(
        &self,
        tenant: &TenantId,
        url: &WebhookUrl,
    ) -> Result<(SubscriptionId, WebhookSecret), WebhookAdminError> {
        let addresses = self
            .resolver
            .resolve(url.host(), url.port())
            .map_err(|source| WebhookAdminError::Unresolved { url: url.to_string(), source })?;
        if let Some(address) = addresses.into_iter().find(|ip| !self.targets.permits(*ip)) {
            return Err(WebhookAdminError::RefusedTarget { url: url.to_string(), address });
        }
        Ok(self.registry.create(tenant, url, self.clock.now()).await?)
    }

    /// The live subscriptions of `tenant`, or of every tenant.
    pub async fn list(
        &self,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<SubscriptionListing>, WebhookAdminError> {
        Ok(self.registry.list(tenant).await?)
    }

    /// Deletes a subscription: no longer listed, nothing more delivered to it.
    pub async fn delete(&self, id: SubscriptionId) -> Result<(), WebhookAdminError> {
        match self.registry.delete(id, self.clock.now()).await? {
            true => Ok(()),
            false => Err(WebhookAdminError::NotFound(id)),
        }
    }

    /// Makes the subscription's failed deliveries due again now; how many.
    pub async fn redeliver(&self, id: SubscriptionId) -> Result<u64, WebhookAdminError> {
        self.registry.redeliver(id, self.clock.now()).await?.ok_or(WebhookAdminError::NotFound(id))
    }
}
