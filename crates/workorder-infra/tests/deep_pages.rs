//! Deep pages cost what the first page costs: the plan each backend makes for the very
//! statement the read side sends (caught from diesel) ranges over the photos index from the
//! cursor on, and the work order's photo count is read from its row, not counted. On a real
//! SQLite file and a real PostgreSQL database, with 20,000 photos on one work order, all at the
//! same instant (the worst case for a keyset on `taken_at` alone).

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use time::{Date, Month, PrimitiveDateTime, Time};
use workorder_domain::{
    AttachPhoto, AttachPolicy, PhotoFields, Principal, SystemClock, UlidPhotoIds, ViewWorkOrder, WorkOrderId,
};
use workorder_infra::testing::{TestDatabase, TestStore, photo_page_statements, work_order_statements};
use workorder_infra::{Backend, Database, DieselWorkOrderRepo};

const PHOTOS: i64 = 20_000;

struct Deep {
    test_db: TestDatabase,
    db: Database,
    principal: Principal,
    wo: WorkOrderId,
}

/// A work order with one photo attached through the use case, then 20,000 copies of its row
/// at the same instant, ids `000…0001` to `000…20000` (valid ULIDs), and fresh statistics.
async fn deep(test_db: TestDatabase) -> Deep {
    let store = TestStore::open(&test_db);
    let (principal, _) = store.principal("acme", "tablet").await;
    let wo = store.work_order(&principal).await;
    let (db, repo) = (store.db, store.repo);
    let attach =
        AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default());
    let fields = PhotoFields {
        minio_object_key: Some("acme/deep/first.jpg"),
        cdn_url: Some("https://cdn.example.com/acme/deep/first.jpg"),
        taken_at: Some("2026-04-15T09:00:00Z"),
        step: None,
    };
    attach.attach(&principal, attach.command(wo, fields).unwrap()).await.unwrap();
    let columns = "tenant_id, id, work_order_id, object_key, cdn_url, taken_at, step, created_at, api_key_id";
    let copies =
        "tenant_id, {id}, work_order_id, object_key || n, cdn_url, taken_at, step, created_at, api_key_id";
    let deep = Deep { test_db, db, principal, wo };
    match deep.test_db.url().backend() {
        Backend::Postgres => deep.postgres().batch_execute(&format!(
            "INSERT INTO photos ({columns}) SELECT {} FROM photos, generate_series(1, {PHOTOS}) AS g(n); \
             ANALYZE photos;",
            copies.replace("{id}", "lpad(n::text, 26, '0')")
        )),
        Backend::Sqlite => deep.sqlite().batch_execute(&format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {PHOTOS}) \
             INSERT INTO photos ({columns}) SELECT {} FROM photos, g; ANALYZE;",
            copies.replace("{id}", "printf('%026d', n)")
        )),
    }
    .unwrap();
    deep
}

impl Deep {
    fn postgres(&self) -> PgConnection {
        PgConnection::establish(self.test_db.url().postgres_url().unwrap()).unwrap()
    }

    fn sqlite(&self) -> SqliteConnection {
        SqliteConnection::establish(self.test_db.url().sqlite_path().unwrap()).unwrap()
    }

    /// The plan of `sql` as the backend makes it for any values of its placeholders:
    /// PostgreSQL's generic plan (`EXPLAIN (FORMAT JSON)` of a statement prepared from the
    /// text, forced generic so the values bound do not matter), SQLite's `EXPLAIN QUERY PLAN`
    /// (placeholders left unbound), one line per step.
    fn plan(&self, sql: &str) -> String {
        #[derive(diesel::QueryableByName)]
        struct PgPlan {
            #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
            plan: String,
        }
        #[derive(diesel::QueryableByName)]
        struct SqlitePlan {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        match self.test_db.url().backend() {
            Backend::Postgres => {
                let mut conn = self.postgres();
                conn.batch_execute(&format!(
                    "SET plan_cache_mode = force_generic_plan; PREPARE page AS {sql}"
                ))
                .unwrap();
                let nulls = vec!["NULL"; placeholders(sql)].join(", ");
                let rows: Vec<PgPlan> =
                    diesel::sql_query(format!("EXPLAIN (FORMAT JSON) EXECUTE page({nulls})"))
                        .load(&mut conn)
                        .unwrap();
                rows.into_iter().map(|r| r.plan).collect()
            }
            Backend::Sqlite => {
                let rows: Vec<SqlitePlan> =
                    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut self.sqlite()).unwrap();
                rows.into_iter().map(|r| r.detail).collect::<Vec<_>>().join("\n")
            }
        }
    }
}

/// How many `$n` placeholders a PostgreSQL statement has (the highest `n`).
fn placeholders(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// The plan of the last page (cursor at the 19,901st photo of 20,000 sharing one instant)
/// starts the index scan at the cursor and reads no photo before it: PostgreSQL puts the row
/// comparison in the index condition, with no filter, no sort and no sequential scan (so the
/// scan stops after `limit` rows); SQLite searches the index with `(taken_at,id)>(?,?)` as its
/// range and needs no temporary sort. The `taken_at > t OR (taken_at = t AND id > i)` form
/// this replaced was a filter over every photo before the cursor, and fails here.
async fn the_last_page_is_an_index_range_from_the_cursor_whatever_its_depth(deep: Deep) {
    tokio::task::spawn_blocking(move || last_page_plan(&deep)).await.unwrap();
}

fn last_page_plan(deep: &Deep) {
    let taken_at = PrimitiveDateTime::new(
        Date::from_calendar_date(2026, Month::April, 15).unwrap(),
        Time::from_hms(9, 0, 0).unwrap(),
    );
    let cursor = format!("{:026}", PHOTOS - 100);
    let sent = photo_page_statements(&deep.db, "acme", &deep.wo.to_string(), Some((taken_at, cursor)), 101);
    let page = sent.iter().find(|sql| sql.contains("ORDER BY")).expect("the page's statement was sent");
    let plan = deep.plan(page);
    match deep.test_db.url().backend() {
        Backend::Postgres => {
            assert!(plan.contains(r#""Index Name": "photos_by_taken_at""#), "{plan}");
            let index_cond = plan.lines().find(|l| l.contains(r#""Index Cond""#)).unwrap_or_default();
            assert!(index_cond.contains("ROW(") && index_cond.contains("taken_at"), "{plan}");
            for absent in [r#""Filter""#, r#""Seq Scan""#, r#""Sort""#, r#""Bitmap"#] {
                assert!(!plan.contains(absent), "no {absent} in the last page's plan:\n{plan}");
            }
        }
        Backend::Sqlite => {
            assert!(
                plan.lines().any(|l| l.starts_with("SEARCH photos USING")
                    && l.contains("photos_by_taken_at")
                    && l.contains("(taken_at,id)>(?,?)")),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE") && !plan.contains("SCAN photos"), "{plan}");
        }
    }
}

/// Reading a work order sends no statement that touches the photos, and its count is the
/// column the attach keeps: a count set on the row is what the read side answers, whatever the
/// photos table holds (a `COUNT(*)` would answer 20,001 and read every photo).
async fn the_photo_count_is_read_from_the_work_order_row_not_counted(deep: Deep) {
    let sent = work_order_statements(&deep.db, "acme", &deep.wo.to_string());
    assert!(!sent.is_empty() && sent.iter().all(|sql| !sql.contains("photos")), "{sent:#?}");
    let kept = "UPDATE work_orders SET photo_count = 7";
    match deep.test_db.url().backend() {
        Backend::Postgres => deep.postgres().batch_execute(kept),
        Backend::Sqlite => deep.sqlite().batch_execute(kept),
    }
    .unwrap();
    let view = ViewWorkOrder::new(Arc::new(DieselWorkOrderRepo::new(deep.db.clone())));
    assert_eq!(view.view(&deep.principal, deep.wo).await.unwrap().photo_count, 7);
}

workorder_infra::on_both_backends!(
    async super::deep =>
    the_last_page_is_an_index_range_from_the_cursor_whatever_its_depth,
    the_photo_count_is_read_from_the_work_order_row_not_counted,
);
