//! The rules of [`WebhookRegistry`](crate::WebhookRegistry) and
//! [`DeliveryQueue`](crate::DeliveryQueue): which deliveries publishing makes, the lease that
//! keeps one delivery from two workers, and what each settlement makes due. A harness without
//! webhooks (`Harness::webhooks` is `None`) passes them.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::Harness;
use super::support::{caller, new_work_order_id, photo, tenant};
use crate::deliver_webhooks::{DeliveryFailure, Settlement};
use crate::event::Event;
use crate::ports::{DeliveryQueue, WebhookRegistry};
use crate::webhook::WebhookUrl;
use crate::work_order::WorkOrderStatus;

const LEASE: Duration = Duration::from_secs(30);

fn url() -> WebhookUrl {
    WebhookUrl::parse("https://hooks.example.com/in").expect("a URL")
}

fn hooks(h: &impl Harness) -> Option<(Arc<dyn WebhookRegistry>, Arc<dyn DeliveryQueue>)> {
    h.webhooks()
}

/// Publishing an event queues one delivery for each subscription of its tenant live when it
/// is published, with the subscription's URL and secret, the event, and attempt 1; a
/// subscription made after it was published does not get it.
pub fn an_event_is_queued_once_for_each_subscription_live_when_it_is_published(h: &impl Harness) {
    let Some((registry, queue)) = hooks(h) else { return };
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let new = photo(&acme, wo, "a.jpg");
    let hour = time::Duration::hours(1);
    let (live, secret) =
        h.block_on(registry.create(acme.tenant(), &url(), new.recorded_at - hour)).expect("created");
    h.block_on(registry.create(&tenant("globex"), &url(), new.recorded_at - hour)).expect("created");
    let (deleted, _) =
        h.block_on(registry.create(acme.tenant(), &url(), new.recorded_at - hour)).expect("created");
    assert!(h.block_on(registry.delete(deleted, new.recorded_at - hour)).expect("deleted"));
    h.block_on(h.repo().attach_photo(new.clone())).expect("recorded");
    h.block_on(h.relay().publish()).expect("published");
    h.block_on(registry.create(acme.tenant(), &url(), new.recorded_at + hour)).expect("created later");
    h.block_on(h.relay().publish()).expect("published");
    let now = new.recorded_at + time::Duration::seconds(1);
    let claimed = h.block_on(queue.claim(now, LEASE, 10)).expect("claimed");
    assert_eq!(claimed.len(), 1, "one delivery: the live subscription of the tenant when it was published");
    let due = &claimed[0];
    assert_eq!((due.key.subscription_id, due.attempt), (live, 1));
    assert_eq!(due.event, Event::photo_attached(&new), "the delivery carries the event");
    assert_eq!((due.url.as_str(), due.secret.expose()), (url().as_str(), secret.expose()));
    let listed = h.block_on(registry.list(Some(acme.tenant()))).expect("listed");
    assert_eq!(listed.len(), 2, "a deleted subscription is not listed");
    assert!(h.block_on(registry.list(None)).expect("listed").iter().all(|s| s.id != deleted));
}

/// A claimed delivery is claimed by nobody else until its lease ends; then again, as the
/// next attempt.
pub fn a_claimed_delivery_is_kept_from_other_claims_until_its_lease_ends(h: &impl Harness) {
    let Some((registry, queue)) = hooks(h) else { return };
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let new = photo(&acme, wo, "a.jpg");
    h.block_on(registry.create(acme.tenant(), &url(), new.recorded_at)).expect("created");
    h.block_on(h.repo().attach_photo(new.clone())).expect("recorded");
    h.block_on(h.relay().publish()).expect("published");
    let now = new.recorded_at + time::Duration::seconds(1);
    assert_eq!(h.block_on(queue.claim(now, LEASE, 10)).expect("claimed").len(), 1);
    assert!(h.block_on(queue.claim(now, LEASE, 10)).expect("claimed").is_empty(), "claimed twice at once");
    let almost = now + LEASE - Duration::from_secs(1);
    assert!(
        h.block_on(queue.claim(almost, LEASE, 10)).expect("claimed").is_empty(),
        "claimed within its lease"
    );
    let again = h.block_on(queue.claim(now + LEASE, LEASE, 10)).expect("claimed");
    assert_eq!(again.iter().map(|d| d.attempt).collect::<Vec<_>>(), [2], "after the lease, the next attempt");
}

/// Delivered is never due again; a retry is due at its time, not before; failed is counted and
/// due again only when redelivered, as a first attempt.
pub fn each_settlement_decides_when_a_delivery_is_due_again(h: &impl Harness) {
    let Some((registry, queue)) = hooks(h) else { return };
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let (a, b) = (photo(&acme, wo, "a.jpg"), photo(&acme, wo, "b.jpg"));
    let (id, _) = h.block_on(registry.create(acme.tenant(), &url(), a.recorded_at)).expect("created");
    for p in [&a, &b] {
        h.block_on(h.repo().attach_photo(p.clone())).expect("recorded");
    }
    h.block_on(h.relay().publish()).expect("published");
    let now = a.recorded_at + time::Duration::seconds(1);
    let claimed = h.block_on(queue.claim(now, LEASE, 10)).expect("claimed");
    assert_eq!(claimed.len(), 2);
    let failure = DeliveryFailure("status 500".into());
    let retry_at = now + Duration::from_secs(5);
    h.block_on(queue.settle(&claimed[0].key, Settlement::Delivered, now)).expect("settled");
    h.block_on(queue.settle(&claimed[1].key, Settlement::RetryAt(retry_at, failure.clone()), now))
        .expect("settled");
    let listed = h.block_on(registry.list(None)).expect("listed");
    assert_eq!((listed[0].pending, listed[0].retrying, listed[0].failed), (1, 1, 0));
    assert_eq!(listed[0].state(), "retrying");
    let early = retry_at - Duration::from_secs(1);
    assert!(
        h.block_on(queue.claim(early, LEASE, 10)).expect("claimed").is_empty(),
        "due before its retry time"
    );
    let retried = h.block_on(queue.claim(retry_at, LEASE, 10)).expect("claimed");
    assert_eq!(retried.iter().map(|d| (&d.key, d.attempt)).collect::<Vec<_>>(), [(&claimed[1].key, 2)]);
    h.block_on(queue.settle(&retried[0].key, Settlement::Failed(failure), retry_at)).expect("settled");
    let listed = h.block_on(registry.list(None)).expect("listed");
    assert_eq!((listed[0].pending, listed[0].failed), (0, 1), "a failed delivery is counted");
    let later = retry_at + Duration::from_secs(86_400);
    assert!(
        h.block_on(queue.claim(later, LEASE, 10)).expect("claimed").is_empty(),
        "delivered or failed is done"
    );
    assert_eq!(h.block_on(registry.redeliver(id, later)).expect("redelivered"), Some(1));
    let again = h.block_on(queue.claim(later, LEASE, 10)).expect("claimed");
    assert_eq!(again.iter().map(|d| (&d.key, d.attempt)).collect::<Vec<_>>(), [(&claimed[1].key, 1)]);
    assert_eq!(h.block_on(queue.oldest_pending()).expect("measured"), Some(b.recorded_at));
}

/// Workers claiming at once from many threads never get the same delivery.
pub fn racing_claims_never_share_a_delivery(h: &impl Harness) {
    let Some((registry, queue)) = hooks(h) else { return };
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let first = photo(&acme, wo, "p0.jpg");
    h.block_on(registry.create(acme.tenant(), &url(), first.recorded_at)).expect("created");
    for i in 0..24 {
        h.block_on(h.repo().attach_photo(photo(&acme, wo, &format!("p{i}.jpg")))).expect("recorded");
    }
    h.block_on(h.relay().publish()).expect("published");
    let now = first.recorded_at + time::Duration::seconds(1);
    let workers = 8;
    let start = Arc::new(Barrier::new(workers));
    let claimed: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (start, queue) = (start.clone(), queue.clone());
                scope.spawn(move || {
                    start.wait();
                    let mut mine = Vec::new();
                    loop {
                        let batch =
                            h.block_on(queue.claim(now, LEASE, 2)).expect("a racing claim must succeed");
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch.into_iter().map(|d| d.key));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a worker panicked")).collect()
    });
    let distinct: HashSet<_> = claimed.iter().collect();
    assert_eq!(distinct.len(), claimed.len(), "a delivery was claimed by two workers");
    assert_eq!(claimed.len(), 24, "every delivery is claimed once");
}
