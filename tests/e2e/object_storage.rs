//! Object storage end to end: the real binary against a real S3 server (`s3s-fs`, which
//! checks SigV4) that the test starts on a free port, on both backends. The app's whole path
//! (a ticket, an upload through the presigned URL with a plain HTTP client, the attach, the
//! verified photo read back), every refusal of the contract's section, a store that stops and
//! comes back, and the start-up checks.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use workorder_infra::testing::{S3Server, TEST_BUCKET};

use crate::support::{Env, Response, attach, read_response, request};

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1];
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
/// The largest object the servers of these tests accept.
const MAX_BYTES: usize = 64;

workorder_infra::on_both_backends!(
    crate::support::Env::new =>
    an_app_with_only_a_key_gets_a_ticket_uploads_attaches_and_reads_the_verified_photo,
    every_refusal_of_the_object_storage_section_records_nothing,
    a_stopped_store_answers_503_then_201_once_back_without_a_restart,
);

/// The environment's store, the server's settings for it, a key and a work order.
fn with_store(env: &mut Env) -> Option<(S3Server, String, String)> {
    let store = S3Server::start()?;
    env.extra_env.extend(store.env().into_iter().map(|(k, v)| (k.to_owned(), v)));
    env.extra_env.push(("WORKORDER_PHOTO_MAX_BYTES".into(), MAX_BYTES.to_string()));
    env.extra_env.push(("WORKORDER_S3_TIMEOUT_MS".into(), "1000".into()));
    let (key, wo) = crate::setup(env);
    Some((store, key, wo))
}

fn ticket(addr: SocketAddr, key: &str, wo: &str, body: &Value) -> Response {
    request(
        addr,
        "POST",
        &format!("/v1/work-orders/{wo}/photo-uploads"),
        &[("X-API-Key", key), ("Content-Type", "application/json")],
        &body.to_string(),
    )
}

/// A PUT of `body` to a presigned URL with exactly `headers`, as an app sends it: a plain
/// HTTP/1.1 request, no credentials. The status.
fn put(url: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = TcpStream::connect(host.parse::<SocketAddr>().expect("host:port")).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut head = format!("PUT {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    read_response(stream).status
}

/// A ticket for `content_type`, and `body` uploaded through it; the key.
fn upload(addr: SocketAddr, key: &str, wo: &str, content_type: &str, body: &[u8]) -> String {
    let t = ticket(addr, key, wo, &json!({ "contentType": content_type }));
    assert_eq!(t.status, 201, "{}", t.text);
    let status = put(t.body["data"]["uploadUrl"].as_str().unwrap(), &headers_of(&t), body);
    assert_eq!(status, 200, "the upload through the ticket");
    t.body["data"]["minioObjectKey"].as_str().unwrap().to_owned()
}

fn headers_of(ticket: &Response) -> Vec<(String, String)> {
    ticket.body["data"]["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn photo_of(object_key: &str) -> String {
    json!({
        "minioObjectKey": object_key,
        "cdnUrl": format!("https://cdn.example.com/{object_key}"),
        "takenAt": "2026-04-15T12:00:00Z"
    })
    .to_string()
}

fn photo_count(addr: SocketAddr, key: &str, wo: &str) -> u64 {
    let read = request(addr, "GET", &format!("/v1/work-orders/{wo}"), &[("X-API-Key", key)], "");
    read.body["data"]["photoCount"].as_u64().unwrap()
}

fn an_app_with_only_a_key_gets_a_ticket_uploads_attaches_and_reads_the_verified_photo(mut env: Env) {
    let Some((_store, key, wo)) = with_store(&mut env) else { return };
    let server = env.start();
    let digest = sha256_hex(JPEG);
    let body = json!({"contentType": "image/jpeg", "contentLength": JPEG.len(), "sha256": digest});
    let t = ticket(server.addr, &key, &wo, &body);
    assert_eq!(t.status, 201, "{}", t.text);
    let data = &t.body["data"];
    let object_key = data["minioObjectKey"].as_str().unwrap();
    assert!(object_key.starts_with(&format!("acme/{wo}/")) && object_key.ends_with(".jpg"), "{object_key}");
    let url = data["uploadUrl"].as_str().unwrap();
    assert!(url.contains(&format!("/{TEST_BUCKET}/acme/")) && url.contains("X-Amz-Signature="), "{url}");
    let headers = headers_of(&t);
    assert_eq!(headers.len(), 3, "{headers:?}");

    // The server refuses what the signature does not cover.
    let mut other_type = headers.clone();
    other_type.iter_mut().find(|(k, _)| k == "Content-Type").unwrap().1 = "image/png".into();
    assert_eq!(put(url, &other_type, JPEG), 403, "another content type than signed");
    let mut tampered = JPEG.to_vec();
    tampered[15] ^= 1;
    assert_ne!(put(url, &headers, &tampered), 200, "another digest than the ticket's");
    assert_eq!(put(url, &headers, JPEG), 200, "the upload as the ticket says");

    let attached = attach(server.addr, &key, &wo, &photo_of(object_key));
    assert_eq!(attached.status, 201, "{}", attached.text);
    let location = attached.header("location").unwrap().to_owned();
    let read = request(server.addr, "GET", &location, &[("X-API-Key", &key)], "");
    let object = &read.body["data"]["object"];
    assert_eq!(object["sizeBytes"], JPEG.len());
    assert_eq!(object["contentType"], "image/jpeg");
    assert_eq!(object["sha256"], digest.as_str());
    assert!(object["etag"].as_str().is_some_and(|e| !e.is_empty()), "{object}");
    assert_eq!(attach(server.addr, &key, &wo, &photo_of(object_key)).status, 200, "a retry");
}

fn every_refusal_of_the_object_storage_section_records_nothing(mut env: Env) {
    let Some((store, key, wo)) = with_store(&mut env) else { return };
    let server = env.start();
    let text_as_jpeg = upload(server.addr, &key, &wo, "image/jpeg", b"just some text, not a photo");
    let png_as_jpeg = upload(server.addr, &key, &wo, "image/jpeg", PNG);
    let mut big = JPEG.to_vec();
    big.resize(MAX_BYTES + 1, 0);
    let one_byte_over = upload(server.addr, &key, &wo, "image/jpeg", &big);
    let mut at_max = JPEG.to_vec();
    at_max.resize(MAX_BYTES, 0);
    let exactly_max = upload(server.addr, &key, &wo, "image/jpeg", &at_max);

    let rejected = |object_key: &str, field: &str| {
        let a = attach(server.addr, &key, &wo, &photo_of(object_key));
        assert_eq!((a.status, a.body["code"].as_str()), (422, Some("PHOTO_OBJECT_REJECTED")), "{}", a.text);
        assert_eq!(a.body["origin"], json!({"boundedContext": "storage", "module": "objects"}));
        assert_eq!(a.body["details"][0]["field"], field, "{}", a.text);
    };
    rejected(&text_as_jpeg, "content");
    rejected(&png_as_jpeg, "content");
    rejected(&one_byte_over, "size");
    let missing = attach(server.addr, &key, &wo, &photo_of(&format!("acme/{wo}/missing.jpg")));
    assert_eq!((missing.status, missing.body["code"].as_str()), (422, Some("PHOTO_OBJECT_NOT_FOUND")));
    let foreign = attach(server.addr, &key, &wo, &photo_of(&format!("globex/{wo}/a.jpg")));
    assert_eq!((foreign.status, foreign.body["code"].as_str()), (400, Some("INVALID_BODY")));
    assert_eq!(foreign.body["details"][0]["field"], "minioObjectKey");
    let bad_ticket =
        ticket(server.addr, &key, &wo, &json!({"contentType": "image/gif", "contentLength": MAX_BYTES + 1}));
    assert_eq!(bad_ticket.status, 400);
    assert_eq!(bad_ticket.body["origin"], json!({"boundedContext": "storage", "module": "uploads"}));
    assert_eq!(photo_count(server.addr, &key, &wo), 0, "no refusal records anything");

    assert_eq!(attach(server.addr, &key, &wo, &photo_of(&exactly_max)).status, 201, "exactly the maximum");
    // The object goes away; a replay is still answered by the database alone.
    std::fs::remove_file(store.bucket_dir().join(&exactly_max)).unwrap();
    assert_eq!(
        attach(server.addr, &key, &wo, &photo_of(&exactly_max)).status,
        200,
        "a replay after deletion"
    );
    let gone = attach(server.addr, &key, &wo, &photo_of(&exactly_max).replace("12:00:00Z", "12:00:01Z"));
    assert_eq!(gone.status, 409, "other data under the key is a conflict before any object is read");
}

fn a_stopped_store_answers_503_then_201_once_back_without_a_restart(mut env: Env) {
    let Some((mut store, key, wo)) = with_store(&mut env) else { return };
    let server = env.start();
    let object_key = upload(server.addr, &key, &wo, "image/jpeg", JPEG);
    store.stop();
    let down = attach(server.addr, &key, &wo, &photo_of(&object_key));
    assert_eq!(
        (down.status, down.body["code"].as_str()),
        (503, Some("SERVICE_UNAVAILABLE")),
        "{}",
        down.text
    );
    assert!(down.header("retry-after").is_some() && down.body.get("origin").is_none());
    assert_eq!(
        request(server.addr, "GET", "/readyz", &[], "").status,
        200,
        "only the database decides readiness"
    );
    let t = ticket(server.addr, &key, &wo, &json!({"contentType": "image/jpeg"}));
    assert_eq!(t.status, 201, "a ticket is signed without the store");
    assert_eq!(photo_count(server.addr, &key, &wo), 0, "nothing recorded");
    let metrics = request(server.addr, "GET", "/metrics", &[], "");
    assert!(metrics.text.contains(r#"operation="describe",result="unavailable""#), "{}", metrics.text);
    store.resume();
    assert_eq!(attach(server.addr, &key, &wo, &photo_of(&object_key)).status, 201);
}

/// SHA-256 in hex, with the `sha256sum` every machine here has, so the test does not
/// share the code under test.
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// Runs the binary with `vars` (and a fresh SQLite database); its exit code and its stderr,
/// which must be one line without a panic (besides clap's hint to `--help` on a bad value).
fn exit_of(args: &[&str], vars: &[(&str, &str)]) -> (i32, String) {
    let db = workorder_infra::testing::TestDatabase::sqlite();
    let url = format!("sqlite://{}", db.url().sqlite_path().unwrap());
    let mut command = std::process::Command::new(crate::support::BIN);
    command.env_clear().env("DATABASE_URL", url).env("WORKORDER_BIND", "127.0.0.1:0").args(args);
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains(" INFO ") && !l.is_empty() && !l.starts_with("For more information, try"))
        .collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code().unwrap_or(-1), lines[0].to_owned())
}

#[test]
fn bad_object_storage_settings_exit_2_and_an_unusable_store_exits_1_with_one_line() {
    let s3 = [("WORKORDER_S3_BUCKET", "photos"), ("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        let mut vars = vec![("WORKORDER_S3_ENDPOINT", "http://127.0.0.1:1")];
        vars.extend_from_slice(&s3);
        vars.extend_from_slice(extra);
        vars
    };
    for (vars, named) in [
        (vec![("WORKORDER_S3_ENDPOINT", "ftp://127.0.0.1:9000")], "WORKORDER_S3_ENDPOINT"),
        (vec![("WORKORDER_S3_ENDPOINT", "http://127.0.0.1:9000")], "WORKORDER_S3_BUCKET"),
        (with(&[("WORKORDER_UPLOAD_TTL_SECS", "59")]), "WORKORDER_UPLOAD_TTL_SECS"),
        (with(&[("WORKORDER_PHOTO_CONTENT_TYPES", "image/jpeg,image/gif")]), "WORKORDER_PHOTO_CONTENT_TYPES"),
        (with(&[("WORKORDER_PHOTO_MAX_BYTES", "0")]), "WORKORDER_PHOTO_MAX_BYTES"),
        (with(&[("WORKORDER_S3_PUBLIC_ENDPOINT", "http://h/path")]), "WORKORDER_S3_PUBLIC_ENDPOINT"),
        (vec![("WORKORDER_CDN_BASE_URL", "https://cdn.example.com/p")], "WORKORDER_CDN_BASE_URL"),
        (vec![("WORKORDER_PHOTO_MAX_BYTES", "lots")], "photo-max-bytes"),
    ] {
        let (code, line) = exit_of(&["serve"], &vars);
        assert_eq!(code, 2, "{vars:?}: {line}");
        assert!(line.contains(named), "{vars:?}: {line}");
    }
    let (code, line) = exit_of(&["serve"], &with(&[("WORKORDER_S3_TIMEOUT_MS", "300")]));
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("unreachable") && !line.contains("\"s\""), "{line}");

    let Some(store) = S3Server::start() else { return };
    let mut vars: Vec<(&str, String)> = store.env();
    vars.retain(|(k, _)| *k != "WORKORDER_S3_BUCKET");
    vars.push(("WORKORDER_S3_BUCKET", "no-such-bucket".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, line) = exit_of(&["serve"], &vars);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("no bucket") && line.contains("no-such-bucket"), "{line}");
}
