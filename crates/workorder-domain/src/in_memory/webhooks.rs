//! Webhook subscriptions and their deliveries in memory, in the work-order store (as the
//! diesel adapters keep them in the same database): an attach queues its event's deliveries
//! as it records it.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use ulid::Ulid;

use super::lock;
use super::work_orders::InMemoryWorkOrderRepo;
use crate::deliver_webhooks::{DeliveryKey, DueDelivery, Settlement};
use crate::error::Error;
use crate::event::Event;
use crate::identity::TenantId;
use crate::ports::{DeliveryQueue, WebhookRegistry};
use crate::webhook::{SubscriptionId, SubscriptionListing, WebhookSecret, WebhookUrl};

#[derive(Debug, Clone)]
struct Subscription {
    tenant: TenantId,
    url: WebhookUrl,
    secret: WebhookSecret,
    created_at: OffsetDateTime,
    deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone)]
struct Delivery {
    event: Event,
    state: State,
    attempts: u32,
    next_attempt_at: OffsetDateTime,
}

/// The subscriptions and deliveries. A test double: secrets are kept in memory as they are,
/// and made from ULIDs' random bits, not a secure source.
#[derive(Debug, Default)]
pub(super) struct Webhooks {
    subscriptions: HashMap<SubscriptionId, Subscription>,
    deliveries: HashMap<DeliveryKey, Delivery>,
}

impl Webhooks {
    /// Queues `event` for each live subscription of its tenant.
    pub(super) fn queue(&mut self, event: &Event) {
        for (id, sub) in &self.subscriptions {
            if !sub.deleted && sub.tenant == event.tenant {
                let key =
                    DeliveryKey { tenant: event.tenant.clone(), subscription_id: *id, event_id: event.id };
                let delivery = Delivery {
                    event: event.clone(),
                    state: State::Pending,
                    attempts: 0,
                    next_attempt_at: event.occurred_at,
                };
                self.deliveries.insert(key, delivery);
            }
        }
    }

    fn live(&self, id: SubscriptionId) -> Option<&Subscription> {
        self.subscriptions.get(&id).filter(|s| !s.deleted)
    }
}

#[async_trait]
impl WebhookRegistry for InMemoryWorkOrderRepo {
    async fn create(
        &self,
        tenant: &TenantId,
        url: &WebhookUrl,
        at: OffsetDateTime,
    ) -> Result<(SubscriptionId, WebhookSecret), Error> {
        let mut store = lock(&self.store);
        store.check()?;
        let bytes: Vec<u8> =
            (0..3).flat_map(|_| Ulid::generate().random().to_be_bytes()[6..].to_vec()).collect();
        let secret = WebhookSecret::new(bytes).ok_or_else(|| Error::internal("a short secret"))?;
        let id = SubscriptionId::new(Ulid::generate());
        let subscription = Subscription {
            tenant: tenant.clone(),
            url: url.clone(),
            secret: secret.clone(),
            created_at: at,
            deleted: false,
        };
        store.webhooks.subscriptions.insert(id, subscription);
        Ok((id, secret))
    }

    async fn list(&self, tenant: Option<&TenantId>) -> Result<Vec<SubscriptionListing>, Error> {
        let store = lock(&self.store);
        store.check()?;
        let hooks = &store.webhooks;
        let mut listed: Vec<SubscriptionListing> = hooks
            .subscriptions
            .iter()
            .filter(|(_, s)| !s.deleted && tenant.is_none_or(|t| *t == s.tenant))
            .map(|(id, s)| {
                let of_it =
                    || hooks.deliveries.iter().filter(move |(k, _)| k.subscription_id == *id).map(|(_, d)| d);
                let count = |keep: &dyn Fn(&Delivery) -> bool| of_it().filter(|d| keep(d)).count() as u64;
                SubscriptionListing {
                    id: *id,
                    tenant: s.tenant.clone(),
                    url: s.url.clone(),
                    created_at: s.created_at,
                    pending: count(&|d| d.state == State::Pending),
                    retrying: count(&|d| d.state == State::Pending && d.attempts > 0),
                    failed: count(&|d| d.state == State::Failed),
                }
            })
            .collect();
        listed.sort_by(|a, b| (&a.tenant, a.id).cmp(&(&b.tenant, b.id)));
        Ok(listed)
    }

    async fn delete(&self, id: SubscriptionId, _: OffsetDateTime) -> Result<bool, Error> {
        let mut store = lock(&self.store);
        store.check()?;
        Ok(match store.webhooks.subscriptions.get_mut(&id).filter(|s| !s.deleted) {
            Some(subscription) => {
                subscription.deleted = true;
                true
            }
            None => false,
        })
    }

    async fn redeliver(&self, id: SubscriptionId, at: OffsetDateTime) -> Result<Option<u64>, Error> {
        let mut store = lock(&self.store);
        store.check()?;
        if store.webhooks.live(id).is_none() {
            return Ok(None);
        }
        let mut n = 0;
        for (_, delivery) in store
            .webhooks
            .deliveries
            .iter_mut()
            .filter(|(k, d)| k.subscription_id == id && d.state == State::Failed)
        {
            *delivery =
                Delivery { state: State::Pending, attempts: 0, next_attempt_at: at, ..delivery.clone() };
            n += 1;
        }
        Ok(Some(n))
    }
}

#[async_trait]
impl DeliveryQueue for InMemoryWorkOrderRepo {
    async fn claim(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        max: usize,
    ) -> Result<Vec<DueDelivery>, Error> {
        let mut store = lock(&self.store);
        store.check()?;
        let hooks = &mut store.webhooks;
        let mut due: Vec<DeliveryKey> = hooks
            .deliveries
            .iter()
            .filter(|(k, d)| {
                d.state == State::Pending
                    && d.next_attempt_at <= now
                    && hooks.live(k.subscription_id).is_some()
            })
            .map(|(k, _)| k.clone())
            .collect();
        due.sort_by_key(|k| (hooks.deliveries[k].next_attempt_at, k.event_id));
        due.truncate(max);
        let mut claimed = Vec::new();
        for key in due {
            let Some(subscription) = hooks.live(key.subscription_id).cloned() else { continue };
            let Some(delivery) = hooks.deliveries.get_mut(&key) else { continue };
            delivery.attempts += 1;
            delivery.next_attempt_at = now + lease;
            claimed.push(DueDelivery {
                url: subscription.url,
                secret: subscription.secret,
                event: delivery.event.clone(),
                attempt: delivery.attempts,
                key,
            });
        }
        Ok(claimed)
    }

    async fn settle(
        &self,
        key: &DeliveryKey,
        settlement: Settlement,
        _: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut store = lock(&self.store);
        store.check()?;
        let delivery =
            store.webhooks.deliveries.get_mut(key).ok_or_else(|| Error::internal("no such delivery"))?;
        match settlement {
            Settlement::Delivered => delivery.state = State::Delivered,
            Settlement::RetryAt(at, _) => delivery.next_attempt_at = at,
            Settlement::Failed(_) => delivery.state = State::Failed,
        }
        Ok(())
    }

    async fn oldest_pending(&self) -> Result<Option<OffsetDateTime>, Error> {
        let store = lock(&self.store);
        store.check()?;
        let pending = store.webhooks.deliveries.values().filter(|d| d.state == State::Pending);
        Ok(pending.map(|d| d.event.occurred_at).min())
    }
}
