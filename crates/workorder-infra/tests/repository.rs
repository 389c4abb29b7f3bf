//! One suite for the diesel adapters, run against a real SQLite file and a real PostgreSQL
//! database (fresh for each test, dropped afterwards).

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use workorder_domain::{
    ApiKeyAdmin, ApiKeyAdminError, ApiKeyLabel, ApiKeySecret, ApiKeyVerifier, AttachPhoto,
    AttachPhotoOutcome, AttachPolicy, Disposition, Error, PhotoFields, Principal, SystemClock, TenantId,
    UlidPhotoIds, WorkOrderAdmin, WorkOrderAdminError, WorkOrderId, WorkOrderRepo, WorkOrderStatus,
};
use workorder_domain::{GetPhoto, ListPhotos, ViewWorkOrder};
use workorder_infra::testing::{TestDatabase, TestStore};
use workorder_infra::{
    Backend, Database, DatabaseConfig, DieselApiKeyVerifier, DieselWorkOrderRepo, KeyCacheTtl,
};

struct Fixture {
    test_db: TestDatabase,
    db: Database,
    service: AttachPhoto,
    verifier: DieselApiKeyVerifier,
    keys: ApiKeyAdmin,
    work_orders: WorkOrderAdmin,
    acme: Principal,
    acme_key: ApiKeySecret,
    wo: WorkOrderId,
}

async fn fixture(test_db: TestDatabase) -> Fixture {
    let TestStore { db, repo, keys, work_orders } = TestStore::open(&test_db);
    let acme_tenant = TenantId::parse("acme").unwrap();
    let key = keys.issue(&acme_tenant, &ApiKeyLabel::parse("tablet 7").unwrap()).await.unwrap();
    let acme = Principal::new(acme_tenant.clone(), key.id);
    let wo =
        work_orders.create(&acme_tenant, None, WorkOrderStatus::InProgress, Some("Boiler")).await.unwrap();
    let service =
        AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default());
    let verifier = DieselApiKeyVerifier::new(db.clone(), KeyCacheTtl::new(Duration::ZERO).unwrap());
    Fixture { test_db, db, service, verifier, keys, work_orders, acme, acme_key: key.secret, wo }
}

fn fields(key: &str) -> PhotoFields<'_> {
    PhotoFields {
        minio_object_key: Some(key),
        cdn_url: Some("https://cdn.example.com/p.jpg"),
        taken_at: Some("2026-04-15T11:00:00.123456+02:00"),
        step: Some("before"),
    }
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

    fn count(&self, sql: &str) -> i64 {
        self.test_db.count(sql)
    }

    fn execute(&self, sql: &str) {
        let url = self.test_db.url();
        let query = diesel::sql_query(sql);
        match url.backend() {
            Backend::Postgres => {
                query.execute(&mut PgConnection::establish(url.postgres_url().unwrap()).unwrap())
            }
            Backend::Sqlite => {
                query.execute(&mut SqliteConnection::establish(url.sqlite_path().unwrap()).unwrap())
            }
        }
        .unwrap();
    }

    fn photo_rows(&self) -> i64 {
        self.count("SELECT COUNT(*) AS n FROM photos")
    }
}

workorder_infra::on_both_backends!(
    async super::fixture =>
    migrations_report_their_version_and_apply_once,
    a_photo_is_created_then_a_retry_finds_it_with_the_same_id,
    the_same_key_with_other_data_is_a_conflict,
    closed_and_cancelled_work_orders_refuse_photos_but_answer_retries,
    every_status_takes_a_new_photo_exactly_when_the_domain_says_it_accepts_photos,
    another_tenants_work_order_is_not_found,
    racing_identical_attaches_record_one_row_and_share_its_id,
    racing_distinct_keys_all_succeed,
    a_valid_key_is_verified_and_others_are_refused,
    a_revoked_key_is_refused_once_the_cache_expires,
    the_key_cache_keeps_busy_keys_past_ten_thousand_keys,
    keys_are_stored_only_as_a_hash,
    work_order_admin_reports_duplicates_unknowns_and_ambiguity,
    ping_answers_when_the_database_does,
    photos_are_listed_by_taken_at_then_id_a_page_at_a_time,
    a_work_order_view_counts_its_photos_and_hides_other_tenants,
    a_photo_is_found_only_on_its_work_order,
);

async fn migrations_report_their_version_and_apply_once(f: Fixture) {
    // The newest migration's directory, `2026-12-02-000100_name`, is version `20261202000100`.
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .max()
        .unwrap();
    let version: String = newest.split('_').next().unwrap().chars().filter(char::is_ascii_digit).collect();
    assert_eq!(f.db.schema_version().unwrap(), Some(version));
    assert!(f.db.migrate().unwrap().is_empty());
}

async fn a_photo_is_created_then_a_retry_finds_it_with_the_same_id(f: Fixture) {
    let first = f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap();
    assert_eq!((first.disposition, first.status), (Disposition::Created, WorkOrderStatus::InProgress));
    // The same instant in another offset, the same step with other spaces: the same photo.
    let mut again = fields("a.jpg");
    again.taken_at = Some("2026-04-15T09:00:00.123456Z");
    again.step = Some(" before ");
    let second = f.attach(&f.acme, f.wo, again).await.unwrap();
    assert_eq!((second.disposition, second.photo_id), (Disposition::AlreadyAttached, first.photo_id));
    assert_eq!(f.photo_rows(), 1);
    let attached_by = f.count(&format!(
        "SELECT COUNT(*) AS n FROM photos WHERE api_key_id = '{}' AND id = '{}' AND tenant_id = 'acme'",
        f.acme.key_id(),
        first.photo_id
    ));
    assert_eq!(attached_by, 1);
}

async fn the_same_key_with_other_data_is_a_conflict(f: Fixture) {
    f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap();
    for change in [
        (|p: &mut PhotoFields<'static>| p.cdn_url = Some("https://cdn.example.com/q.jpg"))
            as fn(&mut PhotoFields<'static>),
        |p| p.taken_at = Some("2026-04-15T11:00:00.123457+02:00"),
        |p| p.step = None,
    ] {
        let mut other = fields("a.jpg");
        change(&mut other);
        assert!(matches!(f.attach(&f.acme, f.wo, other).await, Err(Error::PhotoConflict)));
    }
    assert_eq!(f.photo_rows(), 1);
}

async fn closed_and_cancelled_work_orders_refuse_photos_but_answer_retries(f: Fixture) {
    let first = f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap();
    for status in [WorkOrderStatus::Closed, WorkOrderStatus::Cancelled] {
        f.work_orders.set_status(f.wo, status, None).await.unwrap();
        assert!(
            matches!(f.attach(&f.acme, f.wo, fields("b.jpg")).await, Err(Error::WorkOrderClosed(s)) if s == status)
        );
        let retry = f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap();
        assert_eq!((retry.photo_id, retry.status), (first.photo_id, status));
    }
    f.work_orders.set_status(f.wo, WorkOrderStatus::Completed, None).await.unwrap();
    let late = f.attach(&f.acme, f.wo, fields("b.jpg")).await.unwrap();
    assert_eq!((late.disposition, late.status), (Disposition::Created, WorkOrderStatus::Completed));
    assert_eq!(f.photo_rows(), 2);
}

/// On PostgreSQL a new photo goes through the one-statement attach, whose SQL repeats the
/// rule of which statuses refuse photos: this is where the two are checked to agree.
async fn every_status_takes_a_new_photo_exactly_when_the_domain_says_it_accepts_photos(f: Fixture) {
    for status in WorkOrderStatus::ALL {
        let wo = f.work_orders.create(f.acme.tenant(), None, status, None).await.unwrap();
        let answer = f.attach(&f.acme, wo, fields("new.jpg")).await;
        if status.accepts_photos() {
            assert_eq!(answer.unwrap().disposition, Disposition::Created, "{status}");
        } else {
            assert!(matches!(answer, Err(Error::WorkOrderClosed(s)) if s == status), "{status}");
        }
    }
    let accepting = WorkOrderStatus::ALL.iter().filter(|s| s.accepts_photos()).count();
    assert_eq!(f.photo_rows(), i64::try_from(accepting).unwrap());
}

async fn another_tenants_work_order_is_not_found(f: Fixture) {
    let globex = TenantId::parse("globex").unwrap();
    let globex_key = f.keys.issue(&globex, &ApiKeyLabel::default()).await.unwrap();
    let globex_principal = Principal::new(globex.clone(), globex_key.id);
    let foreign = f.attach(&globex_principal, f.wo, fields("a.jpg")).await.unwrap_err();
    let missing = f
        .attach(&f.acme, WorkOrderId::parse("00000000-0000-4000-8000-000000000000").unwrap(), fields("a.jpg"))
        .await
        .unwrap_err();
    assert!(matches!(foreign, Error::WorkOrderNotFound));
    assert!(matches!(missing, Error::WorkOrderNotFound));
    // The same id may exist in two tenants; each sees only its own.
    f.work_orders.create(&globex, Some(f.wo), WorkOrderStatus::Closed, None).await.unwrap();
    assert!(matches!(
        f.attach(&globex_principal, f.wo, fields("a.jpg")).await,
        Err(Error::WorkOrderClosed(_))
    ));
    assert_eq!(f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap().disposition, Disposition::Created);
}

async fn racing_identical_attaches_record_one_row_and_share_its_id(f: Fixture) {
    let f = Arc::new(f);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.attach(&f.acme, f.wo, fields("race.jpg")).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let created = outcomes.iter().filter(|o| o.disposition == Disposition::Created).count();
    assert_eq!(created, 1);
    assert!(outcomes.iter().all(|o| o.photo_id == outcomes[0].photo_id));
    assert_eq!(f.photo_rows(), 1);
}

async fn racing_distinct_keys_all_succeed(f: Fixture) {
    let f = Arc::new(f);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move { f.attach(&f.acme, f.wo, fields(&format!("k{i}.jpg"))).await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().disposition, Disposition::Created);
    }
    assert_eq!(f.photo_rows(), 32);
}

async fn a_valid_key_is_verified_and_others_are_refused(f: Fixture) {
    assert_eq!(f.verifier.verify(&f.acme_key).await.unwrap(), f.acme);
    let exposed = f.acme_key.expose();
    let wrong_secret =
        format!("{}{}", &exposed[..exposed.len() - 1], if exposed.ends_with('0') { '1' } else { '0' });
    let other_tenant = exposed.replacen("wok_acme_", "wok_globex_", 1);
    for bad in [wrong_secret, other_tenant, "wok_acme_nothing".to_owned(), "x".to_owned()] {
        let result = f.verifier.verify(&ApiKeySecret::new(bad).unwrap()).await;
        assert!(matches!(result, Err(Error::Unauthenticated)));
    }
}

async fn a_revoked_key_is_refused_once_the_cache_expires(f: Fixture) {
    let cached =
        DieselApiKeyVerifier::new(f.db.clone(), KeyCacheTtl::new(Duration::from_millis(300)).unwrap());
    assert!(cached.verify(&f.acme_key).await.is_ok());
    f.keys.revoke(f.acme.key_id()).await.unwrap();
    // Without a cache, at once.
    assert!(matches!(f.verifier.verify(&f.acme_key).await, Err(Error::Unauthenticated)));
    // With one, within its TTL.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(matches!(cached.verify(&f.acme_key).await, Err(Error::Unauthenticated)));
    let listed = f.keys.list(Some(f.acme.tenant())).await.unwrap();
    assert!(listed[0].revoked_at.is_some());
    // Revoking again is harmless; an unknown key is reported.
    f.keys.revoke(f.acme.key_id()).await.unwrap();
    let unknown = workorder_domain::ApiKeyId::new(ulid::Ulid::generate());
    assert!(matches!(f.keys.revoke(unknown).await, Err(ApiKeyAdminError::NotFound(id)) if id == unknown));
}

async fn the_key_cache_keeps_busy_keys_past_ten_thousand_keys(f: Fixture) {
    use sha2::Digest;
    let tenant = TenantId::parse("acme").unwrap();
    let keys: Vec<_> = (0..12_000).map(|_| workorder_infra::generate_key(tenant.clone()).unwrap()).collect();
    let hex_blob = |hex: String| match f.test_db.url().backend() {
        Backend::Postgres => format!("decode('{hex}', 'hex')"),
        Backend::Sqlite => format!("X'{hex}'"),
    };
    let rows: Vec<String> = keys
        .iter()
        .map(|k| {
            let hash: String =
                sha2::Sha256::digest(k.secret.expose()).iter().map(|b| format!("{b:02x}")).collect();
            format!("('acme', '{}', 'k', {}, '2026-01-01 00:00:00')", k.id, hex_blob(hash))
        })
        .collect();
    f.execute(&format!(
        "INSERT INTO api_keys (tenant_id, id, label, secret_hash, created_at) VALUES {}",
        rows.join(", ")
    ));
    let cached = DieselApiKeyVerifier::new(f.db.clone(), KeyCacheTtl::new(Duration::from_secs(25)).unwrap());
    for key in &keys {
        assert!(cached.verify(&key.secret).await.is_ok());
    }
    // With the table gone, only the cache can answer: every key read is still there, the
    // first as well as the last (a cache emptied when it fills would have lost the first).
    f.execute(match f.test_db.url().backend() {
        Backend::Postgres => "DROP TABLE api_keys CASCADE",
        Backend::Sqlite => "DROP TABLE api_keys",
    });
    for key in [&keys[0], &keys[5_000], &keys[11_999]] {
        assert!(cached.verify(&key.secret).await.is_ok(), "{} fell out of the cache", key.id);
    }
}

async fn keys_are_stored_only_as_a_hash(f: Fixture) {
    let secret = f.acme_key.expose();
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    let hex_of_hash = match f.test_db.url().backend() {
        Backend::Postgres => "encode(secret_hash, 'hex')",
        Backend::Sqlite => "lower(hex(secret_hash))",
    };
    let stored_as_hash =
        f.count(&format!("SELECT COUNT(*) AS n FROM api_keys WHERE {hex_of_hash} = '{digest}'"));
    assert_eq!(stored_as_hash, 1);
    let secret_part = secret.rsplit('_').next().unwrap();
    let leaked = f.count(&format!(
        "SELECT COUNT(*) AS n FROM api_keys WHERE label LIKE '%{secret_part}%' OR id LIKE '%{secret_part}%'"
    ));
    assert_eq!(leaked, 0);
    let listed = format!("{:?}", f.keys.list(None).await.unwrap());
    assert!(!listed.contains(secret_part));
}

async fn work_order_admin_reports_duplicates_unknowns_and_ambiguity(f: Fixture) {
    let acme = f.acme.tenant().clone();
    assert!(matches!(
        f.work_orders.create(&acme, Some(f.wo), WorkOrderStatus::Planned, None).await,
        Err(WorkOrderAdminError::AlreadyExists { .. })
    ));
    let unknown = WorkOrderId::parse("00000000-0000-4000-8000-000000000001").unwrap();
    assert!(matches!(
        f.work_orders.set_status(unknown, WorkOrderStatus::Closed, None).await,
        Err(WorkOrderAdminError::NotFound(_))
    ));
    let globex = TenantId::parse("globex").unwrap();
    f.work_orders.create(&globex, Some(f.wo), WorkOrderStatus::Planned, None).await.unwrap();
    assert!(matches!(
        f.work_orders.set_status(f.wo, WorkOrderStatus::Closed, None).await,
        Err(WorkOrderAdminError::Ambiguous { .. })
    ));
    f.work_orders.set_status(f.wo, WorkOrderStatus::Closed, Some(&globex)).await.unwrap();
    let closed = f.count(&format!("SELECT COUNT(*) AS n FROM work_orders WHERE status = 'CLOSED' AND tenant_id = 'globex' AND id = '{}'", f.wo));
    assert_eq!(closed, 1);
}

async fn ping_answers_when_the_database_does(f: Fixture) {
    let repo = DieselWorkOrderRepo::new(f.db.clone());
    assert!(repo.ping().await.is_ok());
}

#[test]
fn an_unreachable_postgres_fails_fast_with_a_clear_error() {
    let url = workorder_infra::DatabaseUrl::parse("postgres://nobody:secret@127.0.0.1:1/none").unwrap();
    let config = DatabaseConfig { connect_timeout: Duration::from_millis(500), ..DatabaseConfig::new(url) };
    let started = std::time::Instant::now();
    let error = Database::connect(&config).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(
        error.starts_with("cannot connect to the database at postgres://nobody:***@127.0.0.1:1/none"),
        "{error}"
    );
    assert!(!error.contains("secret"));
}

async fn photos_are_listed_by_taken_at_then_id_a_page_at_a_time(f: Fixture) {
    let list = ListPhotos::new(Arc::new(DieselWorkOrderRepo::new(f.db.clone())));
    // One width for every instant, so that sorting the text sorts the instants.
    let taken = [
        "2026-04-15T12:00:03.000000Z",
        "2026-04-15T12:00:01.000001Z",
        "2026-04-15T12:00:02.000000Z",
        "2026-04-15T12:00:02.000000Z",
        "2026-04-15T12:00:01.000000Z",
    ];
    let mut expected = Vec::new();
    for (i, taken_at) in taken.iter().enumerate() {
        let key = format!("k{i}.jpg");
        let mut p = fields(&key);
        p.taken_at = Some(taken_at);
        let outcome = f.attach(&f.acme, f.wo, p).await.unwrap();
        expected.push((taken_at.to_string(), outcome.photo_id.to_string()));
    }
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = list.list(&f.acme, f.wo, Some("2"), cursor.as_deref()).await.unwrap();
        assert!(page.photos.len() <= 2);
        seen.extend(page.photos.iter().map(|p| p.photo_id.to_string()));
        match page.next {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let page = list.list(&f.acme, f.wo, None, None).await.unwrap();
    assert_eq!(page.photos.len(), 5);
    assert_eq!(page.photos[0].cdn_url.as_str(), "https://cdn.example.com/p.jpg");
    assert_eq!(page.photos[0].step.as_ref().map(|s| s.as_str()), Some("before"));
}

async fn a_work_order_view_counts_its_photos_and_hides_other_tenants(f: Fixture) {
    let repo = Arc::new(DieselWorkOrderRepo::new(f.db.clone()));
    let view = ViewWorkOrder::new(repo.clone());
    f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap();
    f.attach(&f.acme, f.wo, fields("b.jpg")).await.unwrap();
    let wo = view.view(&f.acme, f.wo).await.unwrap();
    assert_eq!(
        (wo.id, wo.status, wo.title.as_deref(), wo.photo_count),
        (f.wo, WorkOrderStatus::InProgress, Some("Boiler"), 2)
    );
    let globex = Principal::new(TenantId::parse("globex").unwrap(), f.acme.key_id());
    assert!(matches!(view.view(&globex, f.wo).await, Err(Error::WorkOrderNotFound)));
    let list = ListPhotos::new(repo);
    assert!(matches!(list.list(&globex, f.wo, None, None).await, Err(Error::WorkOrderNotFound)));
}

async fn a_photo_is_found_only_on_its_work_order(f: Fixture) {
    let get = GetPhoto::new(Arc::new(DieselWorkOrderRepo::new(f.db.clone())));
    let photo = f.attach(&f.acme, f.wo, fields("a.jpg")).await.unwrap().photo_id.to_string();
    let found = get.get(&f.acme, f.wo, &photo).await.unwrap();
    assert_eq!(
        (found.object_key.as_str(), found.taken_at.instant().unix_timestamp()),
        ("a.jpg", 1_776_243_600)
    );
    let other = f.work_orders.create(f.acme.tenant(), None, WorkOrderStatus::Planned, None).await.unwrap();
    assert!(matches!(get.get(&f.acme, other, &photo).await, Err(Error::PhotoNotFound)));
    let globex = Principal::new(TenantId::parse("globex").unwrap(), f.acme.key_id());
    assert!(matches!(get.get(&globex, f.wo, &photo).await, Err(Error::WorkOrderNotFound)));
}
