//! The write combiner on a real SQLite file and a real PostgreSQL database: attaches that
//! arrive together are written together, and each still gets the answer it would have had
//! alone.
//!
//! To make a batch for certain, a test holds what every attach needs (SQLite's write lock, or
//! PostgreSQL's lock on the work orders) from a connection of its own, sends its attaches,
//! waits until they all wait, and lets go: the flushers' first batches were taken while the
//! lock was held, and everything sent after them makes the next batch.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use workorder_domain::{
    ApiKeyId, AttachPhoto, AttachPhotoOutcome, AttachPolicy, Disposition, Error, PhotoFields, PoolProbe,
    Principal, SystemClock, TenantId, UlidPhotoIds, WorkOrderAdmin, WorkOrderId, WorkOrderStatus,
};
use workorder_infra::testing::{TestDatabase, TestStore};
use workorder_infra::{Backend, Database};

struct Fixture {
    test_db: TestDatabase,
    db: Database,
    service: Arc<AttachPhoto>,
    work_orders: WorkOrderAdmin,
    acme: Principal,
    wo: WorkOrderId,
}

async fn fixture(test_db: TestDatabase) -> Fixture {
    let store = TestStore::open(&test_db);
    let (acme, _) = store.principal("acme", "tablet 7").await;
    let wo = store.work_order(&acme).await;
    let service = Arc::new(AttachPhoto::new(
        store.repo.clone(),
        Arc::new(SystemClock),
        Arc::new(UlidPhotoIds),
        AttachPolicy::default(),
    ));
    Fixture { test_db, db: store.db, service, work_orders: store.work_orders, acme, wo }
}

fn fields<'a>(key: &'a str, cdn: &'static str) -> PhotoFields<'a> {
    PhotoFields {
        minio_object_key: Some(key),
        cdn_url: Some(cdn),
        taken_at: Some("2026-04-15T11:00:00.123456+02:00"),
        step: Some("before"),
    }
}

const CDN: &str = "https://cdn.example.com/p.jpg";
const OTHER_CDN: &str = "https://cdn.example.com/other.jpg";

/// A connection of the test's own that holds what every attach needs until dropped.
enum Hold {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Fixture {
    async fn attach(
        &self,
        principal: &Principal,
        wo: WorkOrderId,
        f: PhotoFields<'_>,
    ) -> Result<AttachPhotoOutcome, Error> {
        let command = self.service.command(wo, f)?;
        self.service.attach(principal, command).await
    }

    /// Holds SQLite's write lock, or a lock on every work order.
    fn hold(&self) -> Hold {
        let url = self.test_db.url();
        match url.backend() {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(url.sqlite_path().unwrap()).unwrap();
                conn.batch_execute("BEGIN IMMEDIATE").unwrap();
                Hold::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = PgConnection::establish(url.postgres_url().unwrap()).unwrap();
                conn.batch_execute("BEGIN; SELECT 1 FROM work_orders FOR UPDATE").unwrap();
                Hold::Postgres(conn)
            }
        }
    }

    fn batches(&self) -> workorder_domain::BatchSizes {
        self.db.sample().attach_batches
    }

    fn count(&self, sql: &str) -> i64 {
        self.test_db.count(sql)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let _ = match self {
            Hold::Sqlite(conn) => conn.batch_execute("ROLLBACK"),
            Hold::Postgres(conn) => conn.batch_execute("ROLLBACK"),
        };
    }
}

/// Sends an attach for each of `cases` (work order, object key, CDN URL) as acme, at once.
fn send(
    f: &Arc<Fixture>,
    cases: Vec<(WorkOrderId, &'static str, &'static str)>,
) -> Vec<tokio::task::JoinHandle<Result<AttachPhotoOutcome, Error>>> {
    let attach = |(wo, key, cdn)| {
        let f = f.clone();
        tokio::spawn(async move { f.attach(&f.acme, wo, fields(key, cdn)).await })
    };
    cases.into_iter().map(attach).collect()
}

/// Sends `attaches` at once while `hold` is held, waits until every one has joined the queue
/// (the photos waiting stop changing), then lets go; the answers, in order.
async fn together<T: Send + 'static>(hold: Hold, attaches: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    // Joining the queue takes microseconds; a generous pause keeps a loaded machine honest.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(hold);
    let mut answers = Vec::new();
    for attach in attaches {
        answers.push(attach.await.unwrap());
    }
    answers
}

workorder_infra::on_both_backends!(
    async super::fixture =>
    a_mixed_batch_answers_each_photo_as_if_alone,
    identical_attaches_in_one_batch_give_one_created_and_the_rest_retries,
    a_photo_that_fails_in_a_batch_fails_alone,
    a_key_new_to_the_batch_twice_and_photos_on_several_work_orders,
    a_lone_attach_goes_at_once_as_a_batch_of_one,
    batches_under_load_are_counted_by_size,
    a_photo_still_waiting_at_its_deadline_is_refused_and_never_written,
);

/// New, retry, conflict, closed, unknown work order, another tenant's work order: each in
/// one batch, each answered as alone; the counts and the outbox hold exactly the new ones.
async fn a_mixed_batch_answers_each_photo_as_if_alone(f: Fixture) {
    let recorded = f.attach(&f.acme, f.wo, fields("recorded.jpg", CDN)).await.unwrap();
    let closed = f.work_orders.create(f.acme.tenant(), None, WorkOrderStatus::Closed, None).await.unwrap();
    let globex = TenantId::parse("globex").unwrap();
    let foreign = f.work_orders.create(&globex, None, WorkOrderStatus::InProgress, None).await.unwrap();
    let unknown = WorkOrderId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    let f = Arc::new(f);
    let before = f.batches();
    let hold = f.hold();
    let cases: Vec<(WorkOrderId, &'static str, &'static str)> = vec![
        (f.wo, "new-1.jpg", CDN),
        (f.wo, "recorded.jpg", CDN),
        (f.wo, "recorded.jpg", OTHER_CDN),
        (closed, "new-2.jpg", CDN),
        (unknown, "new-3.jpg", CDN),
        (foreign, "new-4.jpg", CDN),
        (f.wo, "new-5.jpg", CDN),
    ];
    let answers = together(hold, send(&f, cases)).await;
    let mut answers = answers.into_iter();
    let new_1 = answers.next().unwrap().unwrap();
    assert_eq!(new_1.disposition, Disposition::Created);
    let retry = answers.next().unwrap().unwrap();
    assert_eq!((retry.disposition, retry.photo_id), (Disposition::AlreadyAttached, recorded.photo_id));
    assert!(matches!(answers.next().unwrap(), Err(Error::PhotoConflict)));
    assert!(matches!(answers.next().unwrap(), Err(Error::WorkOrderClosed(WorkOrderStatus::Closed))));
    assert!(matches!(answers.next().unwrap(), Err(Error::WorkOrderNotFound)));
    assert!(matches!(answers.next().unwrap(), Err(Error::WorkOrderNotFound)), "another tenant's work order");
    assert_eq!(answers.next().unwrap().unwrap().disposition, Disposition::Created);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 3);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM events"), 3);
    assert_eq!(
        f.count(
            "SELECT photo_count AS n FROM work_orders WHERE tenant_id = 'acme' AND status = 'IN_PROGRESS'"
        ),
        3
    );
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos WHERE tenant_id = 'globex'"), 0);
    let after = f.batches();
    assert!(
        after.batches() - before.batches() < 7,
        "the seven attaches were written in fewer batches: {after:?}"
    );
    assert_eq!(after.photos - before.photos, 7);
}

async fn identical_attaches_in_one_batch_give_one_created_and_the_rest_retries(f: Fixture) {
    let f = Arc::new(f);
    let hold = f.hold();
    let attaches = (0..32)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.attach(&f.acme, f.wo, fields("same.jpg", CDN)).await.unwrap() })
        })
        .collect();
    let outcomes = together(hold, attaches).await;
    let created = outcomes.iter().filter(|o| o.disposition == Disposition::Created).count();
    assert_eq!(created, 1);
    assert!(outcomes.iter().all(|o| o.photo_id == outcomes[0].photo_id));
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 1);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM events"), 1);
    assert_eq!(f.count("SELECT photo_count AS n FROM work_orders"), 1);
    // At most one lone batch a flusher went before the rest, which went together.
    let sizes = f.batches();
    assert!(sizes.batches() <= 4, "32 attaches in {} batches: {sizes:?}", sizes.batches());
}

/// Within one batch, a key sent twice with different data is recorded once and the other is
/// a conflict, as one after the other; photos on several work orders raise each one's count
/// by its own.
async fn a_key_new_to_the_batch_twice_and_photos_on_several_work_orders(f: Fixture) {
    let second =
        f.work_orders.create(f.acme.tenant(), None, WorkOrderStatus::InProgress, None).await.unwrap();
    let f = Arc::new(f);
    let hold = f.hold();
    let cases: Vec<(WorkOrderId, &'static str, &'static str)> = vec![
        (f.wo, "twice.jpg", CDN),
        (second, "a.jpg", CDN),
        (f.wo, "twice.jpg", OTHER_CDN),
        (second, "b.jpg", CDN),
        (second, "twice.jpg", CDN),
    ];
    let answers = together(hold, send(&f, cases)).await;
    // The two under one key on one work order: whichever joined first is recorded.
    let (first, other) = (&answers[0], &answers[2]);
    let pair = [first, other];
    let created = pair.iter().filter(|a| a.as_ref().is_ok_and(|o| o.disposition == Disposition::Created));
    assert_eq!(created.count(), 1, "{first:?} {other:?}");
    assert!(pair.iter().any(|a| matches!(a, Err(Error::PhotoConflict))), "{first:?} {other:?}");
    for i in [1, 3, 4] {
        assert_eq!(answers[i].as_ref().unwrap().disposition, Disposition::Created, "photo {i}");
    }
    let count = |wo: WorkOrderId| {
        f.count(&format!("SELECT photo_count AS n FROM work_orders WHERE tenant_id = 'acme' AND id = '{wo}'"))
    };
    assert_eq!((count(f.wo), count(second)), (1, 3));
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 4);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM events"), 4);
}

/// A photo whose insert the database refuses (its key id names no key: a foreign-key
/// violation) is answered with that failure; its neighbours in the batch are recorded.
async fn a_photo_that_fails_in_a_batch_fails_alone(f: Fixture) {
    let stranger = Principal::new(f.acme.tenant().clone(), ApiKeyId::new(ulid::Ulid::from_parts(1, 1)));
    let f = Arc::new(f);
    let hold = f.hold();
    let attaches = (0..9)
        .map(|i| {
            let f = f.clone();
            let principal = if i == 4 { stranger.clone() } else { f.acme.clone() };
            tokio::spawn(async move { f.attach(&principal, f.wo, fields(&format!("n{i}.jpg"), CDN)).await })
        })
        .collect();
    let answers = together(hold, attaches).await;
    for (i, answer) in answers.iter().enumerate() {
        if i == 4 {
            assert!(matches!(answer, Err(Error::Internal(_))), "{answer:?}");
        } else {
            assert_eq!(answer.as_ref().unwrap().disposition, Disposition::Created, "photo {i}");
        }
    }
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 8);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM events"), 8);
    assert_eq!(f.count("SELECT photo_count AS n FROM work_orders"), 8);
}

/// No timer: an attach that finds the database free is written at once, in a batch of one,
/// and answered in about the time of its own write.
async fn a_lone_attach_goes_at_once_as_a_batch_of_one(f: Fixture) {
    // Warm: the statements prepared, the connections open.
    f.attach(&f.acme, f.wo, fields("warm.jpg", CDN)).await.unwrap();
    let before = f.batches();
    let mut slowest = Duration::ZERO;
    for i in 0..20 {
        let started = Instant::now();
        f.attach(&f.acme, f.wo, fields(&format!("lone-{i}.jpg"), CDN)).await.unwrap();
        slowest = slowest.max(started.elapsed());
    }
    let after = f.batches();
    assert_eq!(after.counts[0] - before.counts[0], 20, "each went alone: {after:?}");
    assert_eq!(after.batches() - before.batches(), 20);
    // A timer that waited to fill batches would show here as its period at least; a write on
    // this machine takes a few milliseconds at most (an fsync), the bound is far above it.
    assert!(slowest < Duration::from_millis(250), "a lone attach took {slowest:?}");
}

/// Under load from many tasks at once, batches of several photos are written, every photo is
/// answered and recorded once, and the histogram counts every photo.
async fn batches_under_load_are_counted_by_size(f: Fixture) {
    let f = Arc::new(f);
    let before = f.batches();
    let attaches: Vec<_> = (0..400)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move {
                f.attach(&f.acme, f.wo, fields(&format!("load-{i}.jpg"), CDN)).await.unwrap()
            })
        })
        .collect();
    for attach in attaches {
        assert_eq!(attach.await.unwrap().disposition, Disposition::Created);
    }
    let after = f.batches();
    assert_eq!(after.photos - before.photos, 400);
    assert!(after.batches() - before.batches() < 400, "some went together: {after:?}");
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 400);
    assert_eq!(f.count("SELECT photo_count AS n FROM work_orders"), 400);
}

/// The deadline holds in the queue: a photo behind a batch that cannot finish is refused at
/// its deadline (not at the batch's end), and is not written afterwards.
async fn a_photo_still_waiting_at_its_deadline_is_refused_and_never_written(f: Fixture) {
    let f = Arc::new(f);
    let hold = f.hold();
    let first = {
        let f = f.clone();
        tokio::spawn(async move { f.attach(&f.acme, f.wo, fields("first.jpg", CDN)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let late = workorder_infra::with_deadline(
        started + Duration::from_millis(300),
        f.attach(&f.acme, f.wo, fields("late.jpg", CDN)),
    )
    .await;
    let waited = started.elapsed();
    assert!(matches!(late, Err(Error::Unavailable(_))), "{late:?}");
    assert!(waited < Duration::from_millis(1_500), "refused after {waited:?}, not at its deadline");
    drop(hold);
    assert_eq!(first.await.unwrap().unwrap().disposition, Disposition::Created);
    // Whatever the queue does next, the refused photo is not among it.
    f.attach(&f.acme, f.wo, fields("after.jpg", CDN)).await.unwrap();
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos WHERE object_key = 'late.jpg'"), 0);
    assert_eq!(f.count("SELECT COUNT(*) AS n FROM photos"), 2);
}
