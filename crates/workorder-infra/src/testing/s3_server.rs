//! A real S3 server for tests: `s3s-fs` (a file-system S3 server that checks SigV4
//! signatures), started on a free port over a fresh directory with one bucket, stopped (and
//! its directory removed) when the test ends. It can be stopped and started again on the same
//! port and data, to test a store that goes away and comes back.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ulid::Ulid;

use crate::s3::{S3Config, S3Secret};

/// The binary the tests run; `.ci/run` installs it (`cargo install s3s-fs --features binary`).
pub const S3S_FS: &str = "s3s-fs";
/// The bucket every test server has.
pub const TEST_BUCKET: &str = "photos";
const ACCESS_KEY: &str = "workorder-test";
const SECRET_KEY: &str = "workorder-test-secret-key";

/// An `s3s-fs` process of one test.
#[derive(Debug)]
pub struct S3Server {
    root: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl S3Server {
    /// A server on a free port with an empty bucket [`TEST_BUCKET`], or `None` (said loudly)
    /// when `s3s-fs` is not installed; under CI (`CI` set) a missing server fails the test.
    pub fn start() -> Option<Self> {
        if Command::new(S3S_FS).arg("--version").stdout(Stdio::null()).status().is_err() {
            let how = "cargo install --locked s3s-fs@0.14.1 --features binary";
            if std::env::var_os("CI").is_some() {
                panic!("{S3S_FS} is not installed, and CI must run the S3 tests: {how}");
            }
            eprintln!("SKIPPED: {S3S_FS} is not on PATH, so this S3 test did not run ({how})");
            return None;
        }
        let root = std::env::temp_dir().join(format!("workorder-s3-{}", Ulid::generate()));
        std::fs::create_dir_all(root.join(TEST_BUCKET)).expect("create the bucket's directory");
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self { root, port, child: None };
        server.resume();
        Some(server)
    }

    /// The endpoint, e.g. `http://127.0.0.1:40123/`.
    pub fn endpoint(&self) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}/", self.port)).expect("an endpoint URL")
    }

    /// The adapter's configuration for this server's bucket.
    pub fn config(&self, timeout: Duration) -> S3Config {
        S3Config {
            endpoint: self.endpoint(),
            public_endpoint: self.endpoint(),
            bucket: TEST_BUCKET.to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: ACCESS_KEY.to_owned(),
            secret_access_key: S3Secret::new(SECRET_KEY),
            timeout,
        }
    }

    /// The environment a `workorder-http` process needs to use this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WORKORDER_S3_ENDPOINT", self.endpoint().to_string()),
            ("WORKORDER_S3_BUCKET", TEST_BUCKET.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ]
    }

    /// Where the bucket's objects are on disk (s3s-fs keeps each as a file under its key).
    pub fn bucket_dir(&self) -> PathBuf {
        self.root.join(TEST_BUCKET)
    }

    /// Stops the server; the port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, on the same port and data, and waits until it answers.
    pub fn resume(&mut self) {
        self.stop();
        let child = Command::new(S3S_FS)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        self.child = Some(child);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on {address} within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
