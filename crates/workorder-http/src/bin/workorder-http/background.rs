//! The server's background work: the outbox relay, which publishes committed events to the
//! feed within a fraction of a second of their commit.

use std::sync::Arc;
use std::time::Duration;

use workorder_domain::EventRelay;

/// How long the relay rests when it found nothing to publish: an event is in the feed about
/// this long after its commit at most (the contract allows 2 s).
const RELAY_IDLE: Duration = Duration::from_millis(200);

/// How long it rests after a failure (the database is away), not to flood the log.
const RELAY_BACKOFF: Duration = Duration::from_secs(1);

/// Publishes the outbox for ever: at once again while there is more, after a rest otherwise.
/// Several servers may run it on one database; the store lets one publish at a time.
pub(crate) async fn relay(relay: Arc<dyn EventRelay>) {
    loop {
        match relay.publish().await {
            Ok(0) => tokio::time::sleep(RELAY_IDLE).await,
            Ok(_) => {}
            Err(error) => {
                log::warn!("publishing events failed, retrying: {error}: {}", source_text(&error));
                tokio::time::sleep(RELAY_BACKOFF).await;
            }
        }
    }
}

fn source_text(error: &dyn std::error::Error) -> String {
    error.source().map(ToString::to_string).unwrap_or_default()
}
