//! The ReadEventFeed use case over the in-memory adapters: its parameters, and the cursor
//! a page ends with.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use support::{World, block_on, world};
use workorder_domain::{Error, Field, PhotoFields, ReadEventFeed};

fn attach(w: &World, key: &str) {
    let fields = PhotoFields {
        minio_object_key: Some(key),
        cdn_url: Some("https://cdn.example.com/a.jpg"),
        taken_at: Some("2026-04-15T11:00:00Z"),
        step: None,
    };
    let command = w.service.command(w.wo, fields).unwrap();
    block_on(w.service.attach(&w.acme, command)).unwrap();
}

fn feed(w: &World) -> ReadEventFeed {
    ReadEventFeed::new(w.repo.clone())
}

#[test]
fn an_empty_feed_without_a_cursor_has_no_next_cursor() {
    let w = world();
    let page = block_on(feed(&w).page(&w.acme, None, None)).unwrap();
    assert!(page.events.is_empty() && !page.has_more);
    assert_eq!(page.next_cursor, None);
}

#[test]
fn a_page_ends_with_the_cursor_after_its_last_event_and_an_empty_page_with_the_one_passed() {
    let w = world();
    for key in ["a.jpg", "b.jpg", "c.jpg"] {
        attach(&w, key);
    }
    let feed = feed(&w);
    let first = block_on(feed.page(&w.acme, None, Some("2"))).unwrap();
    assert_eq!(first.events.len(), 2);
    assert!(first.has_more);
    let cursor = first.next_cursor.unwrap().to_string();
    let second = block_on(feed.page(&w.acme, Some(&cursor), Some("2"))).unwrap();
    assert_eq!(second.events.len(), 1);
    assert!(!second.has_more);
    let end = second.next_cursor.unwrap().to_string();
    let empty = block_on(feed.page(&w.acme, Some(&end), None)).unwrap();
    assert!(empty.events.is_empty() && !empty.has_more);
    assert_eq!(empty.next_cursor.map(|c| c.to_string()), Some(end.clone()));
    // Later, the same cursor continues the feed.
    attach(&w, "d.jpg");
    let later = block_on(feed.page(&w.acme, Some(&end), None)).unwrap();
    assert_eq!(later.events.len(), 1);
}

#[test]
fn a_bad_limit_or_cursor_is_an_invalid_feed_query_listing_each() {
    let w = world();
    let error = block_on(feed(&w).page(&w.acme, Some("01JD"), Some("0"))).unwrap_err();
    let Error::InvalidFeedQuery(fields) = &error else { panic!("{error:?}") };
    let fields: Vec<Field> = fields.iter().map(|f| f.field()).collect();
    assert_eq!(fields, [Field::Limit, Field::After]);
    assert_eq!(error.origin().map(|o| o.module), Some("events"));
    for limit in ["201", "-1", "x", ""] {
        assert!(block_on(feed(&w).page(&w.acme, None, Some(limit))).is_err(), "{limit:?}");
    }
}

#[test]
fn another_tenants_cursor_shows_only_the_callers_events() {
    let w = world();
    attach(&w, "a.jpg");
    let acme = block_on(feed(&w).page(&w.acme, None, None)).unwrap();
    let cursor = acme.next_cursor.unwrap().to_string();
    let globex = block_on(feed(&w).page(&w.globex, Some(&cursor), None)).unwrap();
    assert!(globex.events.is_empty());
    assert!(block_on(feed(&w).page(&w.globex, None, None)).unwrap().events.is_empty());
}
