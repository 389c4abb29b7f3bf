//! The DeliverWebhooks use case: post each due delivery, signed, and settle it as delivered,
//! to retry (with back-off) or failed, as the retry policy says.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::Error;
use crate::event::{Event, EventId};
use crate::identity::TenantId;
use crate::ports::{Clock, DeliveryQueue, JitterSource, WebhookSender};
use crate::webhook::{Retry, RetryPolicy, SubscriptionId, WebhookSecret, WebhookUrl};

/// Which delivery: an event to a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey {
    /// The tenant of both.
    pub tenant: TenantId,
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// The event.
    pub event_id: EventId,
}

/// A delivery claimed for an attempt: what the sender needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Which.
    pub key: DeliveryKey,
    /// Where to post.
    pub url: WebhookUrl,
    /// What to sign with.
    pub secret: WebhookSecret,
    /// What to post.
    pub event: Event,
    /// This attempt's number: 1 for the first.
    pub attempt: u32,
}

/// How an attempt ended, when it did not deliver: the receiver's status, a time-out, a refused
/// connection, a redirect, a refused target. Its text goes to the log and `webhook list`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryFailure(pub String);

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// A 2xx within the time: done.
    Delivered,
    /// Failed; try again then.
    RetryAt(OffsetDateTime, DeliveryFailure),
    /// Failed, and the event is too old to try again.
    Failed(DeliveryFailure),
}

/// What one pass did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Delivered.
    pub delivered: u64,
    /// Failed and scheduled again.
    pub retried: u64,
    /// Given up.
    pub failed: u64,
}

impl DeliveryReport {
    /// How many deliveries the pass attempted.
    pub fn attempted(&self) -> u64 {
        self.delivered + self.retried + self.failed
    }
}

/// The DeliverWebhooks use case.
#[derive(Clone)]
pub struct DeliverWebhooks {
    queue: Arc<dyn DeliveryQueue>,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn JitterSource>,
    policy: RetryPolicy,
    lease: Duration,
}

impl fmt::Debug for DeliverWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliverWebhooks").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl DeliverWebhooks {
    /// The use case over its ports. `attempt_timeout` is the longest an attempt takes (the
    /// sender's timeout): a claimed delivery is kept from other workers for three times that
    /// (the lease), so two workers never post one delivery at once, and after a crash the
    /// delivery is attempted again once the lease ends.
    pub fn new(
        queue: Arc<dyn DeliveryQueue>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        jitter: Arc<dyn JitterSource>,
        policy: RetryPolicy,
        attempt_timeout: Duration,
    ) -> Self {
        Self { queue, sender, clock, jitter, policy, lease: attempt_timeout.saturating_mul(3) }
    }

    /// How long a claimed delivery is kept from other workers.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Claims at most `max` due deliveries, attempts each and settles it. Returns what it did,
    /// or the queue's error (a delivery claimed but not settled is attempted again after its
    /// lease).
    pub async fn run_once(&self, max: usize) -> Result<DeliveryReport, Error> {
        let due = self.queue.claim(self.clock.now(), self.lease, max).await?;
        let mut report = DeliveryReport::default();
        for delivery in due {
            let settlement = match self.sender.send(&delivery, self.clock.now()).await {
                Ok(()) => Settlement::Delivered,
                Err(failure) => {
                    let now = self.clock.now();
                    match self.policy.after_failure(
                        delivery.attempt,
                        delivery.event.occurred_at,
                        now,
                        self.jitter.unit(),
                    ) {
                        Retry::At(at) => Settlement::RetryAt(at, failure),
                        Retry::GiveUp => Settlement::Failed(failure),
                    }
                }
            };
            match &settlement {
                Settlement::Delivered => report.delivered += 1,
                Settlement::RetryAt(..) => report.retried += 1,
                Settlement::Failed(_) => report.failed += 1,
            }
            self.queue.settle(&delivery.key, settlement, self.clock.now()).await?;
        }
        Ok(report)
    }
}
