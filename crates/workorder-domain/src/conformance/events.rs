//! The rules of the outbox ([`WorkOrderRepo::attach_photo`](crate::WorkOrderRepo::attach_photo)
//! records an event with each new photo), [`EventFeed`](crate::EventFeed) and
//! [`EventRelay`](crate::EventRelay).

use std::sync::{Arc, Barrier};

use super::Harness;
use super::support::{caller, new_work_order_id, photo};
use crate::event::{Event, FeedCursor, FeedEvent, FeedPosition};
use crate::identity::TenantId;
use crate::photo::Step;
use crate::work_order::WorkOrderStatus;

/// Publishes, then reads the whole feed of `tenant`, a page of 1,000 at a time.
fn whole_feed(h: &impl Harness, tenant: &TenantId) -> Vec<FeedEvent> {
    h.block_on(h.relay().publish()).expect("the relay publishes");
    let mut all: Vec<FeedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(FeedCursor::START, |e| FeedCursor::after(e.position));
        let page = h.block_on(h.feed().events(tenant, after, 1000)).expect("the feed reads");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Positions must be 1, 2, 3, … in the order given.
fn assert_gap_free(feed: &[FeedEvent]) {
    let positions: Vec<u64> = feed.iter().map(|e| e.position.get()).collect();
    let expected: Vec<u64> = (1..=feed.len() as u64).collect();
    assert_eq!(positions, expected, "a feed's positions must be 1, 2, 3, … without gaps");
}

/// A new photo writes exactly its event, with its data byte for byte; a retry, a conflict, a
/// closed work order and a missing one write none; another tenant sees none of it.
pub fn each_new_photo_writes_its_event_and_nothing_else_does(h: &impl Harness) {
    let (acme, globex) = (caller(h, "acme"), caller(h, "globex"));
    let (wo, closed) = (new_work_order_id(), new_work_order_id());
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    h.seed_work_order(acme.tenant(), closed, WorkOrderStatus::Closed);
    let first = photo(&acme, wo, "acme/wo/Été 2026/front+1 (2).jpg");
    h.block_on(h.repo().attach_photo(first.clone())).expect("a new photo is recorded");
    let refused = [
        photo(&acme, wo, "acme/wo/Été 2026/front+1 (2).jpg"),
        crate::NewPhoto {
            step: Some(Step::parse("après").expect("a step")),
            ..photo(&acme, wo, first.object_key.as_str())
        },
        photo(&acme, closed, "c.jpg"),
        photo(&acme, new_work_order_id(), "m.jpg"),
        photo(&globex, wo, "g.jpg"),
    ];
    for again in refused {
        let _ = h.block_on(h.repo().attach_photo(again));
    }
    let feed = whole_feed(h, acme.tenant());
    assert_eq!(
        feed,
        vec![FeedEvent { position: FeedPosition::FIRST, event: Event::photo_attached(&first) }],
        "one new photo must give exactly its own event, and retries and refusals none"
    );
    assert!(whole_feed(h, globex.tenant()).is_empty(), "another tenant must see none of it");
}

/// The feed gives the events after a cursor, by position, at most the limit asked, and each
/// tenant's positions run 1, 2, 3, … on their own.
pub fn the_feed_pages_by_position_per_tenant(h: &impl Harness) {
    let (acme, globex) = (caller(h, "acme"), caller(h, "globex"));
    let (wo_a, wo_g) = (new_work_order_id(), new_work_order_id());
    h.seed_work_order(acme.tenant(), wo_a, WorkOrderStatus::InProgress);
    h.seed_work_order(globex.tenant(), wo_g, WorkOrderStatus::InProgress);
    for i in 0..6 {
        h.block_on(h.repo().attach_photo(photo(&acme, wo_a, &format!("a{i}.jpg")))).expect("recorded");
        if i % 2 == 0 {
            h.block_on(h.repo().attach_photo(photo(&globex, wo_g, &format!("g{i}.jpg")))).expect("recorded");
        }
    }
    let all = whole_feed(h, acme.tenant());
    assert_eq!(all.len(), 6);
    assert_gap_free(&all);
    assert!(all.iter().all(|e| &e.event.tenant == acme.tenant()), "a feed holds only its tenant's events");
    assert_gap_free(&whole_feed(h, globex.tenant()));
    for after in 0..=6 {
        for limit in [1, 2, 7] {
            let page =
                h.block_on(h.feed().events(acme.tenant(), cursor_after(after), limit)).expect("a page");
            let expected: Vec<FeedEvent> = all.iter().skip(after as usize).take(limit).cloned().collect();
            assert_eq!(page, expected, "after position {after}, limit {limit}");
        }
    }
}

/// Photos attached from many threads while relays publish from others: every event is
/// published once, at positions without gaps, and a position once read keeps its event.
pub fn racing_attaches_and_relays_publish_every_event_once(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let (writers, per_writer) = (8, 5);
    let start = Arc::new(Barrier::new(writers + 2));
    let seen_while_racing = std::thread::scope(|scope| {
        for w in 0..writers {
            let (start, repo, acme) = (start.clone(), h.repo(), &acme);
            scope.spawn(move || {
                start.wait();
                for i in 0..per_writer {
                    h.block_on(repo.attach_photo(photo(acme, wo, &format!("w{w}-{i}.jpg"))))
                        .expect("a racing attach must succeed");
                }
            });
        }
        let relay = {
            let (start, relay) = (start.clone(), h.relay());
            scope.spawn(move || {
                start.wait();
                for _ in 0..20 {
                    h.block_on(relay.publish()).expect("a racing relay must succeed");
                }
            })
        };
        start.wait();
        let mut seen = Vec::new();
        for _ in 0..20 {
            seen =
                h.block_on(h.feed().events(acme.tenant(), FeedCursor::START, 1000)).expect("the feed reads");
            assert_gap_free(&seen);
        }
        relay.join().expect("the relay panicked");
        seen
    });
    let all = whole_feed(h, acme.tenant());
    assert_eq!(all.len(), writers * per_writer, "every photo's event must be published once");
    assert_gap_free(&all);
    assert_eq!(&all[..seen_while_racing.len()], &seen_while_racing[..], "a position read keeps its event");
    let mut ids: Vec<_> = all.iter().map(|e| e.event.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no event may be published twice");
}

fn cursor_after(position: u64) -> FeedCursor {
    FeedPosition::new(position).map_or(FeedCursor::START, FeedCursor::after)
}
