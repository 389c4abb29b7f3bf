//! Storage faults and races of the process's own making, on real SQLite files and a real
//! PostgreSQL: concurrent migrations, storage that cannot write.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use workorder_infra::testing::TestDatabase;
use workorder_infra::{Database, DatabaseConfig};

fn concurrent_migrations_of_a_fresh_database_all_succeed(test_db: TestDatabase) {
    let sqlite = test_db.url().sqlite_path().is_some();
    migrate_at_once(&test_db);
    // The race is narrow: on SQLite, where it failed one start in six, try it on more files.
    if sqlite {
        for _ in 0..20 {
            migrate_at_once(&TestDatabase::sqlite());
        }
    }
}

fn migrate_at_once(test_db: &TestDatabase) {
    let config = DatabaseConfig::new(test_db.url().clone());
    // As six processes started at once would: each its own pool, all at the same moment.
    let barrier = std::sync::Barrier::new(6);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    let db = Database::connect(&config).unwrap();
                    barrier.wait();
                    db.migrate().map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied: Vec<_> = results.iter().map(|r| r.as_ref().unwrap().len()).collect();
    assert_eq!(
        applied.iter().filter(|n| **n > 0).count(),
        1,
        "one migrator applies, the others find nothing: {applied:?}"
    );
    let db = Database::connect(&config).unwrap();
    assert!(db.migrate().unwrap().is_empty());
    assert!(db.schema_version().unwrap().is_some());
}

workorder_infra::on_both_backends!(
    std::convert::identity =>
    concurrent_migrations_of_a_fresh_database_all_succeed,
);
