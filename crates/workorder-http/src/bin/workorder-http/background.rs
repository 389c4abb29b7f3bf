//! The server's background work: the outbox relay, which publishes committed events to the
//! feed (and queues their webhook deliveries) within a fraction of a second of their commit;
//! the delivery workers; and the gauge of the oldest undelivered event.

use std::sync::Arc;
use std::time::Duration;

use workorder_domain::{DeliverWebhooks, DeliveryQueue, EventRelay};
use workorder_http::Metrics;

/// How long the relay rests when it found nothing to publish: an event is in the feed about
/// this long after its commit at most (the contract allows 2 s).
const RELAY_IDLE: Duration = Duration::from_millis(200);

/// How long a delivery worker rests when nothing was due.
const DELIVERY_IDLE: Duration = Duration::from_millis(250);

/// Deliveries a worker claims at once: few, so that a slow receiver holds few back.
const DELIVERY_BATCH: usize = 4;

/// How often the oldest undelivered event's age is measured.
const GAUGE_PERIOD: Duration = Duration::from_secs(5);

/// How long a loop rests after a failure (the database is away), not to flood the log.
const BACKOFF: Duration = Duration::from_secs(1);

/// Publishes the outbox for ever: at once again while there is more, after a rest otherwise.
/// Several servers may run it on one database; the store lets one publish at a time.
pub(crate) async fn relay(relay: Arc<dyn EventRelay>, metrics: Arc<Metrics>) {
    loop {
        match relay.publish().await {
            Ok(0) => tokio::time::sleep(RELAY_IDLE).await,
            Ok(n) => metrics.observe_events_published(n as u64),
            Err(error) => {
                log::warn!("publishing events failed, retrying: {error}: {}", source_text(&error));
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

/// Delivers due webhooks for ever. Several run at once, here and on other servers; the
/// queue's leases keep them off each other's deliveries.
pub(crate) async fn deliver(deliveries: DeliverWebhooks, metrics: Arc<Metrics>) {
    loop {
        match deliveries.run_once(DELIVERY_BATCH).await {
            Ok(report) => {
                metrics.observe_deliveries(report);
                if report.attempted() == 0 {
                    tokio::time::sleep(DELIVERY_IDLE).await;
                }
            }
            Err(error) => {
                log::warn!("delivering webhooks failed, retrying: {error}: {}", source_text(&error));
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

/// Measures the oldest undelivered event's age for ever.
pub(crate) async fn oldest_undelivered(queue: Arc<dyn DeliveryQueue>, metrics: Arc<Metrics>) {
    loop {
        match queue.oldest_pending().await {
            Ok(oldest) => metrics.set_oldest_undelivered_age(
                oldest.map_or(0, |at| (time::OffsetDateTime::now_utc() - at).whole_seconds()),
            ),
            Err(error) => log::debug!("measuring undelivered events failed: {error}"),
        }
        tokio::time::sleep(GAUGE_PERIOD).await;
    }
}

fn source_text(error: &dyn std::error::Error) -> String {
    error.source().map(ToString::to_string).unwrap_or_default()
}
