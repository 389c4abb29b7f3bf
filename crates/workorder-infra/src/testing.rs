//! Databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
//! named by `WORKORDER_TEST_POSTGRES_URL`; each is dropped when the test ends, so tests run in
//! parallel. And a real S3 server per test ([`S3Server`]). Enabled by the `testing` feature, for tests only: a fixture that cannot be set up
//! panics (its `expect`s), which is how a test reports that its ground is missing.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use diesel::{Connection, PgConnection, RunQueryDsl};
use ulid::Ulid;

use crate::database_url::DatabaseUrl;

mod s3_server;
mod sent_statements;
mod store;

pub use s3_server::{S3S_FS, S3Server, TEST_BUCKET};
pub use sent_statements::{photo_page_statements, work_order_statements};
pub use store::TestStore;

/// The variable naming the PostgreSQL server tests may create databases on.
pub const POSTGRES_URL_VARIABLE: &str = "WORKORDER_TEST_POSTGRES_URL";

/// The PostgreSQL server tests create their databases on: the one `WORKORDER_TEST_POSTGRES_URL`
/// names, else a private one this test process starts once (`initdb` and `pg_ctl` from
/// `/usr/lib/postgresql/*/bin`, on a free port in a temporary directory, stopped and removed
/// by a watchdog when the process ends), so that a plain `cargo test` runs every test on both
/// backends. `None`, said loudly, only when neither exists.
pub fn postgres_admin_url() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var(POSTGRES_URL_VARIABLE) {
            return Some(url);
        }
        let started = PrivatePostgres::start().map(PrivatePostgres::keep_for_this_process);
        if started.is_none() {
            eprintln!(
                "SKIPPED: {POSTGRES_URL_VARIABLE} is not set and PostgreSQL's server binaries \
                 (initdb, pg_ctl) are not installed, so this PostgreSQL test did not run"
            );
        }
        started
    })
    .clone()
}

/// A PostgreSQL server of the caller's own: `initdb` and `pg_ctl` from
/// `/usr/lib/postgresql/*/bin` on a free port in a temporary directory, run as the postgres
/// user when the caller is root (the server refuses to run as root). Stopped and removed when
/// dropped; a fault test may stop and start it meanwhile.
#[derive(Debug)]
pub struct PrivatePostgres {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    root: bool,
    port: u16,
}

impl PrivatePostgres {
    /// Starts one; `None` where the server binaries are not installed.
    pub fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("workorder-test-pg-{}", Ulid::generate()));
        std::fs::create_dir_all(&dir).expect("a directory for the private PostgreSQL");
        let root = is_root();
        if root {
            let status = Command::new("chown").arg("postgres:postgres").arg(&dir).status();
            assert!(status.is_ok_and(|s| s.success()), "chown of the private PostgreSQL's directory");
        }
        let pg = Self { dir, bin, root, port };
        let initdb = pg.run("initdb", &["-D", &pg.data(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(initdb, "initdb of the private PostgreSQL failed");
        pg.start_server();
        Some(pg)
    }

    /// Starts the server again (after [`PrivatePostgres::stop_immediately`]).
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        let started = self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
        assert!(started, "the private PostgreSQL did not start; see {log}");
    }

    /// Stops it at once, as a crash would: no checkpoint, clients cut off.
    pub fn stop_immediately(&self) {
        assert!(
            self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]),
            "pg_ctl stop failed"
        );
    }

    /// Its admin URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Keeps it running for the rest of this process, then stops and removes it: a watchdog
    /// waits for the process to end.
    fn keep_for_this_process(self) -> String {
        let as_postgres = if self.root { "runuser -u postgres -- " } else { "" };
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; \
             {as_postgres}'{}' -D '{}' -m immediate stop >/dev/null 2>&1; rm -rf '{}'",
            std::process::id(),
            self.bin.join("pg_ctl").display(),
            self.data(),
            self.dir.display()
        );
        let spawned = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        assert!(spawned.is_ok(), "the private PostgreSQL's watchdog did not start");
        let url = self.url();
        std::mem::forget(self);
        url
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> bool {
        let program = self.bin.join(program);
        let mut command = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Directory(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// Databases older than this are leftovers of killed test runs and are swept.
const LEFTOVER_AGE_MS: u64 = 60 * 60 * 1000;

impl TestDatabase {
    /// A new, empty SQLite file in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("workorder-test-{}", Ulid::generate()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let path = dir.join("test.db");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).expect("a sqlite URL");
        Self { url, cleanup: Cleanup::Directory(dir) }
    }

    /// A new, empty PostgreSQL database on [`postgres_admin_url`]'s server, or `None` (said
    /// loudly on stderr) when there is none.
    pub fn postgres() -> Option<Self> {
        let admin_url = postgres_admin_url()?;
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VARIABLE} names a server we cannot reach: {e}"));
        sweep_leftovers(&mut admin);
        let name = format!("wo_test_{}", Ulid::generate().to_string().to_lowercase());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create a test database");
        let mut url = url::Url::parse(&admin_url).expect("a PostgreSQL URL");
        url.set_path(&name);
        let url = DatabaseUrl::parse(url.as_str()).expect("a PostgreSQL URL");
        Some(Self { url, cleanup: Cleanup::Postgres { admin_url, name } })
    }

    /// Where it is.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The number a query of one row and one `BIGINT` column `n` answers, on a connection
    /// of the test's own: what the store holds, seen from outside the adapter.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let query = diesel::sql_query(sql);
        let rows: Vec<Count> = match (self.url.postgres_url(), self.url.sqlite_path()) {
            (Some(pg), _) => {
                query.load(&mut PgConnection::establish(pg).expect("connect to the test database"))
            }
            (None, Some(path)) => {
                query.load(&mut diesel::SqliteConnection::establish(path).expect("open the test database"))
            }
            (None, None) => panic!("a test database is PostgreSQL or SQLite"),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.first().unwrap_or_else(|| panic!("{sql}: no row")).n
    }
}

fn sweep_leftovers(admin: &mut PgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(names) = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'wo_test_%'")
        .load::<Name>(admin)
    else {
        return;
    };
    let now = Ulid::generate().timestamp_ms();
    for Name { datname } in names {
        let stale = datname
            .strip_prefix("wo_test_")
            .and_then(|id| Ulid::from_string(id).ok())
            .is_some_and(|id| now.saturating_sub(id.timestamp_ms()) > LEFTOVER_AGE_MS);
        if stale {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)")).execute(admin);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin);
                }
            }
        }
    }
}

/// A database of `backend` that cannot be reached (a SQLite file in a directory that does not
/// exist, a PostgreSQL port that refuses connections): every call through it is
/// `Error::Unavailable` after a short connect timeout.
pub fn unreachable_database(backend: crate::Backend) -> crate::Database {
    let url = match backend {
        crate::Backend::Sqlite => format!("sqlite:///nonexistent-{}/workorder.db", Ulid::generate()),
        crate::Backend::Postgres => "postgres://postgres@127.0.0.1:1/unreachable".to_owned(),
    };
    let config = crate::DatabaseConfig {
        connect_timeout: std::time::Duration::from_millis(300),
        ..crate::DatabaseConfig::new(DatabaseUrl::parse(&url).expect("a database URL"))
    };
    crate::Database::open(&config).expect("a pool, unchecked")
}

/// Runs each named test on a fresh SQLite file and on a fresh PostgreSQL database, as
/// `sqlite::NAME` and `postgres::NAME`. `setup` turns a [`TestDatabase`] into what the tests
/// take. With `async`, tests and `setup` are async, on a multi-threaded tokio runtime.
///
/// A PostgreSQL test without `WORKORDER_TEST_POSTGRES_URL` says `SKIPPED` on stderr and
/// passes; CI always sets the variable.
#[macro_export]
macro_rules! on_both_backends {
    (async $setup:path => $($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test($setup($crate::testing::TestDatabase::sqlite()).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let Some(db) = $crate::testing::TestDatabase::postgres() else { return };
                    super::$test($setup(db).await).await;
                }
            )*
        }
    };
    ($setup:path => $($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($setup($crate::testing::TestDatabase::sqlite()));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    let Some(db) = $crate::testing::TestDatabase::postgres() else { return };
                    super::$test($setup(db));
                }
            )*
        }
    };
}
