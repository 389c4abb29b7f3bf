//! Running the real binary: its CLI, its server on a free port, and a small HTTP/1.1 client
//! (raw, so tests can also send what no well-behaved client would).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use workorder_infra::testing::TestDatabase;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_workorder-http");

/// The database a test runs on, and the binary's CLI against it.
pub(crate) struct Env {
    pub(crate) db: TestDatabase,
    pub(crate) extra_env: Vec<(String, String)>,
}

impl Env {
    pub(crate) fn new(db: TestDatabase) -> Self {
        Self { db, extra_env: Vec::new() }
    }

    /// The CLI against the same database, without `other`'s extra settings. The database
    /// stays `other`'s: it is dropped with it.
    pub(crate) fn new_like(other: &Env) -> EnvLike<'_> {
        EnvLike { of: other, extra_env: Vec::new() }
    }

    pub(crate) fn database_url(&self) -> String {
        let url = self.db.url();
        match url.postgres_url() {
            Some(pg) => pg.to_owned(),
            None => format!("sqlite://{}", url.sqlite_path().expect("a sqlite path")),
        }
    }

    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("DATABASE_URL", self.database_url())
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        command
    }

    /// Runs a CLI command that must succeed; its stdout, trimmed.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().expect("run the binary");
        assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8 stdout").trim().to_owned()
    }

    pub(crate) fn start(&self) -> Server {
        Server::start(self.command().env("WORKORDER_BIND", "127.0.0.1:0"))
    }
}

/// The CLI on another [`Env`]'s database, with settings of its own.
pub(crate) struct EnvLike<'a> {
    of: &'a Env,
    pub(crate) extra_env: Vec<(String, String)>,
}

impl EnvLike<'_> {
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("DATABASE_URL", self.of.database_url())
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        command
    }
}

/// The binary serving on a free port; killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) log: Arc<Mutex<String>>,
}

impl Server {
    pub(crate) fn start(command: &mut Command) -> Self {
        let mut child =
            command.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().expect("spawn the server");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) =
                    line.split("listening on http://").nth(1).and_then(|r| r.split_whitespace().next())
                {
                    let _ = tx.send(addr.parse::<SocketAddr>().expect("an address"));
                }
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the server did not start: {}", log.lock().expect("log lock"))
        });
        Self { child, addr, log }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// Sends SIGTERM and waits for the process to exit; its exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) text: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Value,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request on its own connection.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body.as_bytes()).expect("write body");
    read_response(stream)
}

pub(crate) fn read_response(mut stream: TcpStream) -> Response {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8(raw).expect("a utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        text: body.to_owned(),
    }
}

pub(crate) fn photo(key: &str) -> String {
    serde_json::json!({
        "minioObjectKey": key,
        "cdnUrl": format!("https://cdn.example.com/{key}"),
        "takenAt": "2026-04-15T12:00:00Z",
        "step": "before"
    })
    .to_string()
}

pub(crate) fn attach(addr: SocketAddr, key: &str, wo: &str, body: &str) -> Response {
    request(
        addr,
        "POST",
        &format!("/v1/work-orders/{wo}/photos"),
        &[("X-API-Key", key), ("Content-Type", "application/json")],
        body,
    )
}

/// A key and an IN_PROGRESS work order of tenant `acme`, made with the CLI.
pub(crate) fn setup(env: &Env) -> (String, String) {
    let key = env.cli(&["api-key", "create", "--tenant", "acme", "--label", "e2e"]);
    let wo = env.cli(&[
        "work-order",
        "create",
        "--tenant",
        "acme",
        "--title",
        "Boiler",
        "--status",
        "IN_PROGRESS",
    ]);
    (key, wo)
}
