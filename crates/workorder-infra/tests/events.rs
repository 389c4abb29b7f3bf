//! The outbox, the relay and the feed on a real SQLite file and a real PostgreSQL database:
//! every recorded photo gives one event, nothing else gives any, and the feed stays gap-free
//! when transactions commit out of order.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use time::OffsetDateTime;
use workorder_domain::{
    AttachPhoto, AttachPolicy, CdnUrl, Event, EventFeed, EventRelay, FeedCursor, FeedEvent, NewPhoto,
    ObjectKey, PhotoFields, PhotoId, Principal, ReadEventFeed, SystemClock, TakenAt, UlidPhotoIds,
    WorkOrderId, WorkOrderRepo, truncate_to_micros,
};
use workorder_infra::testing::{TestDatabase, TestStore};
use workorder_infra::{Backend, Database, DatabaseConfig, DieselWorkOrderRepo};

struct Fixture {
    test_db: TestDatabase,
    repo: Arc<DieselWorkOrderRepo>,
    service: AttachPhoto,
    feed: ReadEventFeed,
    acme: Principal,
    globex: Principal,
    wo: WorkOrderId,
}

async fn fixture(test_db: TestDatabase) -> Fixture {
    let store = TestStore::open(&test_db);
    let (acme, _) = store.principal("acme", "").await;
    let (globex, _) = store.principal("globex", "").await;
    let wo = store.work_order(&acme).await;
    let repo = store.repo;
    let service = AttachPhoto::new(
        repo.clone(),
        Arc::new(SystemClock),
        Arc::new(UlidPhotoIds),
        AttachPolicy::default(),
    );
    let feed = ReadEventFeed::new(repo.clone());
    Fixture { test_db, repo, service, feed, acme, globex, wo }
}

impl Fixture {
    async fn attach(&self, key: &str) {
        let fields = PhotoFields {
            minio_object_key: Some(key),
            cdn_url: Some("https://cdn.example.com/p.jpg"),
            taken_at: Some("2026-04-15T11:00:00.123456+02:00"),
            step: None,
        };
        let command = self.service.command(self.wo, fields).unwrap();
        self.service.attach(&self.acme, command).await.unwrap();
    }

    /// The whole feed of acme after `after`, as the relay has published it so far.
    async fn feed_after(&self, after: FeedCursor) -> Vec<FeedEvent> {
        self.repo.events(self.acme.tenant(), after, 10_000).await.unwrap()
    }

    fn photo(&self, id: PhotoId, key: &str) -> NewPhoto {
        NewPhoto {
            tenant: self.acme.tenant().clone(),
            work_order_id: self.wo,
            photo_id: id,
            object_key: ObjectKey::parse(key).unwrap(),
            cdn_url: CdnUrl::parse("https://cdn.example.com/late.jpg").unwrap(),
            taken_at: TakenAt::parse("2026-04-15T11:00:00Z").unwrap(),
            step: None,
            attached_by: self.acme.key_id(),
            recorded_at: truncate_to_micros(OffsetDateTime::now_utc()),
            object: None,
        }
    }
}

/// Two transactions, and the one that took its id first commits last. A feed ordered by id
/// would have shown the later id first and then skipped the earlier one for ever; the relay
/// publishes in commit order, so the consumer sees both, once each.
async fn an_event_committed_after_a_later_one_is_still_seen_once(f: Fixture) {
    let first_id = PhotoId::new(ulid::Ulid::generate());
    let early = f.photo(first_id, "early.jpg");
    // PostgreSQL: the first transaction writes its photo and event, and stays open while the
    // second commits. SQLite has one writer, so the first cannot even write before the second
    // commits: it writes and commits after it, with the id it took first.
    let held = match f.test_db.url().backend() {
        Backend::Postgres => {
            let mut pg = PgConnection::establish(f.test_db.url().postgres_url().unwrap()).unwrap();
            let ts = early.recorded_at.format(&time::format_description::well_known::Rfc3339).unwrap();
            pg.batch_execute(&format!(
                "BEGIN; INSERT INTO photos (tenant_id, id, work_order_id, object_key, cdn_url, taken_at, created_at, api_key_id) \
                 VALUES ('acme', '{first_id}', '{}', 'early.jpg', 'https://cdn.example.com/late.jpg', \
                 '2026-04-15 11:00:00', ('{ts}'::timestamptz AT TIME ZONE 'UTC'), '{}');
                 INSERT INTO events (tenant_id, id, event_type, occurred_at, photo_id) \
                 SELECT tenant_id, id, 'photo.attached', created_at, id FROM photos WHERE tenant_id = 'acme' AND id = '{first_id}'",
                f.wo,
                f.acme.key_id()
            ))
            .unwrap();
            Some(pg)
        }
        Backend::Sqlite => None,
    };
    // The next id is later: ULIDs order by millisecond.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    f.attach("late-id-but-first-commit.jpg").await;
    f.repo.publish().await.unwrap();
    let seen = f.feed_after(FeedCursor::START).await;
    assert_eq!(seen.len(), 1, "only the committed event is in the feed");
    assert!(seen[0].event.id.to_string() > first_id.to_string(), "the committed event has the later id");
    let cursor = FeedCursor::after(seen[0].position);

    match held {
        Some(mut pg) => pg.batch_execute("COMMIT").unwrap(),
        None => drop(f.repo.attach_photo(early.clone()).await.unwrap()),
    }
    f.repo.publish().await.unwrap();
    let after = f.feed_after(cursor).await;
    assert_eq!(after.len(), 1, "the late commit comes after the cursor: {after:?}");
    assert_eq!(after[0].event.id.to_string(), first_id.to_string());
    assert_eq!(after[0].position, seen[0].position.next());
    assert_eq!(after[0].event, Event::photo_attached(&early), "its data is the photo's");
}

/// Every recorded photo gives exactly one event; retries and refusals give none; another
/// tenant's feed holds none of it and its cursors show only its own events.
async fn every_recorded_photo_gives_one_event_and_replays_none(f: Fixture) {
    for key in ["a.jpg", "b.jpg", "a.jpg", "b.jpg"] {
        f.attach(key).await;
    }
    let conflict = PhotoFields {
        minio_object_key: Some("a.jpg"),
        cdn_url: Some("https://cdn.example.com/other.jpg"),
        taken_at: Some("2026-04-15T11:00:00Z"),
        step: None,
    };
    let command = f.service.command(f.wo, conflict).unwrap();
    assert!(f.service.attach(&f.acme, command).await.is_err());
    f.repo.publish().await.unwrap();
    let page = f.feed.page(&f.acme, None, None).await.unwrap();
    let keys: Vec<&str> = page
        .events
        .iter()
        .map(|e| match &e.event.data {
            workorder_domain::EventData::PhotoAttached(p) => p.object_key.as_str(),
        })
        .collect();
    assert_eq!(keys, ["a.jpg", "b.jpg"]);
    assert!(!page.has_more);
    let foreign = f.feed.page(&f.globex, page.next_cursor.map(|c| c.to_string()).as_deref(), None).await;
    assert!(foreign.unwrap().events.is_empty(), "another tenant's cursor shows none of acme's events");
    assert!(f.feed.page(&f.globex, None, None).await.unwrap().events.is_empty());
}

/// 1,000 events, paged through with every page size from 1 to 200: each once, in order, and
/// `hasMore` false exactly on the last page.
async fn the_feed_pages_through_1000_events_with_every_page_size(f: Fixture) {
    let repo: Arc<dyn WorkOrderRepo> = f.repo.clone();
    let mut photos: Vec<NewPhoto> =
        (0..1000).map(|i| f.photo(PhotoId::new(ulid::Ulid::generate()), &format!("p{i}.jpg"))).collect();
    // Four writers, as four requests would.
    let chunks: Vec<Vec<NewPhoto>> =
        (0..4).map(|w| photos.iter().skip(w).step_by(4).cloned().collect()).collect();
    let writers: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let repo = repo.clone();
            tokio::spawn(async move {
                for photo in chunk {
                    repo.attach_photo(photo).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    while f.repo.publish().await.unwrap() > 0 {}
    let all = f.feed_after(FeedCursor::START).await;
    assert_eq!(all.len(), 1000);
    photos.sort_by_key(|p| p.photo_id);
    let mut ids: Vec<_> = all.iter().map(|e| e.event.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, photos.iter().map(|p| p.photo_id.to_string()).collect::<Vec<_>>());
    // Four readers share the page sizes, as four consumers would: the pool serves them at once.
    let all = Arc::new(all);
    let readers: Vec<_> = (0..4u16)
        .map(|reader| {
            let (feed, acme, all) = (f.feed.clone(), f.acme.clone(), all.clone());
            tokio::spawn(async move {
                for size in (1..=200u16).filter(|s| s % 4 == reader) {
                    page_through(&feed, &acme, size, &all).await;
                }
            })
        })
        .collect();
    for reader in readers {
        reader.await.unwrap();
    }
}

/// Follows the feed from the start with pages of `size`: every event once, in order, `hasMore`
/// false exactly on the last page, and an empty page after it that gives back its cursor.
async fn page_through(feed: &ReadEventFeed, acme: &Principal, size: u16, all: &[FeedEvent]) {
    let limit = size.to_string();
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let page = feed.page(acme, cursor.as_deref(), Some(&limit)).await.unwrap();
        assert!(page.events.len() <= usize::from(size));
        seen.extend(page.events);
        cursor = page.next_cursor.map(|c| c.to_string());
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, all, "page size {size}");
    let empty = feed.page(acme, cursor.as_deref(), Some(&limit)).await.unwrap();
    assert!(empty.events.is_empty() && !empty.has_more);
    assert_eq!(empty.next_cursor.map(|c| c.to_string()), cursor, "an empty page gives back its cursor");
}

/// A secret sealed under another key cannot sign: its delivery is given up at once, counted
/// as failed, instead of blocking the queue.
async fn a_secret_that_does_not_open_fails_its_delivery_instead_of_blocking_the_queue(f: Fixture) {
    use workorder_domain::{DeliveryQueue, WebhookRegistry, WebhookUrl};
    use workorder_infra::{DieselDeliveryQueue, DieselWebhookRegistry, SecretsKey};
    let db = Database::connect(&DatabaseConfig::new(f.test_db.url().clone())).unwrap();
    let (one, other) = (
        SecretsKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap(),
        SecretsKey::parse("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").unwrap(),
    );
    let registry = DieselWebhookRegistry::new(db.clone(), Some(one));
    let url = WebhookUrl::parse("https://hooks.example.com/in").unwrap();
    registry.create(f.acme.tenant(), &url, OffsetDateTime::now_utc()).await.unwrap();
    f.attach("a.jpg").await;
    f.repo.publish().await.unwrap();
    let queue = DieselDeliveryQueue::new(db, other);
    let now = OffsetDateTime::now_utc() + std::time::Duration::from_secs(1);
    assert!(queue.claim(now, std::time::Duration::from_secs(30), 10).await.unwrap().is_empty());
    let listed = registry.list(None).await.unwrap();
    assert_eq!((listed[0].pending, listed[0].failed), (0, 1));
}

workorder_infra::on_both_backends!(async super::fixture =>
    a_secret_that_does_not_open_fails_its_delivery_instead_of_blocking_the_queue,
    an_event_committed_after_a_later_one_is_still_seen_once,
    every_recorded_photo_gives_one_event_and_replays_none,
    the_feed_pages_through_1000_events_with_every_page_size,
);
