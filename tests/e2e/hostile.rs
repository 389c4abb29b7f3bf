//! Hostile requests against the real server: malformed, truncated, nested, oversized and
//! mistyped bodies, odd encodings, headers and ids, injection-looking and exotic text in every
//! field, slow and cut-off bodies. Each gets the contract's error body with the right status
//! (or its success, where the input is in fact valid): never a 500, a hang or a dropped
//! connection; the database changes only by the photos answered 201; the server answers
//! normally afterwards.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use workorder_domain::{CdnUrl, ObjectKey, Step, TakenAt};

use crate::support::{Env, request};

/// Status, headers (lower-case names) and JSON body of one response.
type Answer = (u16, Vec<(String, String)>, Value);

/// A header case: name, headers, expected status and code.
type HeaderCase<'a> = (&'a str, Vec<(&'a str, &'a [u8])>, u16, Option<&'static str>);

struct Case {
    name: String,
    raw: Vec<u8>,
    expect: u16,
    code: Option<&'static str>,
}

struct Target {
    key: String,
    wo: String,
}

impl Target {
    fn raw(&self, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
        let mut raw = format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n").into_bytes();
        for (name, value) in headers {
            raw.extend_from_slice(name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(body);
        raw
    }

    fn post(&self, body: &[u8]) -> Vec<u8> {
        let path = format!("/v1/work-orders/{}/photos", self.wo);
        self.raw(&path, &[("X-API-Key", self.key.as_bytes()), ("Content-Type", b"application/json")], body)
    }

    fn post_to(&self, id: &str, body: &[u8]) -> Vec<u8> {
        let path = format!("/v1/work-orders/{id}/photos");
        self.raw(&path, &[("X-API-Key", self.key.as_bytes()), ("Content-Type", b"application/json")], body)
    }
}

fn valid(key: &str) -> Value {
    json!({
        "minioObjectKey": key,
        "cdnUrl": "https://cdn.example.com/p.jpg",
        "takenAt": "2026-04-15T12:00:00Z",
        "step": "before"
    })
}

fn case(name: impl Into<String>, raw: Vec<u8>, expect: u16, code: Option<&'static str>) -> Case {
    Case { name: name.into(), raw, expect, code }
}

/// What the domain says of these field values: 201 if all are valid, else 400.
fn judged(t: &Target, name: String, body: &Value) -> Case {
    let text = |f: &str| body[f].as_str().map(str::to_owned);
    let ok = text("minioObjectKey").is_some_and(|k| ObjectKey::parse(&k).is_ok())
        && text("cdnUrl").is_some_and(|u| CdnUrl::parse(&u).is_ok())
        && text("takenAt").is_some_and(|t| TakenAt::parse(&t).is_ok())
        && (body["step"].is_null() || text("step").is_some_and(|s| Step::parse(&s).is_ok()));
    let raw = t.post(&serde_json::to_vec(body).unwrap_or_default());
    if ok { case(name, raw, 201, None) } else { case(name, raw, 400, Some("INVALID_BODY")) }
}

fn cases(t: &Target) -> Vec<Case> {
    let mut cases = Vec::new();
    let bad_body = Some("INVALID_BODY");

    // Malformed JSON.
    let malformed: &[&[u8]] = &[
        b"",
        b" ",
        b"{",
        b"}",
        b"{]",
        b"[",
        b"null",
        b"true",
        b"1",
        b"\"str\"",
        b"{\"a\":}",
        b"{\"minioObjectKey\" \"x\"}",
        b"{'minioObjectKey':'x'}",
        b"{minioObjectKey:1}",
        b"{\"a\":1,}",
        b"{,}",
        b"{\"a\":01}",
        b"{\"a\":NaN}",
        b"{\"a\":Infinity}",
        b"{\"a\":\"\\x41\"}",
        b"{\"a\":\"\\u12\"}",
        b"/* c */{}",
        b"{}//",
        b"{}{}",
        b"{} x",
        b"\xef\xbb\xbf{}",
        b"{\"a\":\"\n\"}",
        b"{\"a\":\"\t\"}",
        b"[{}]",
        b"{}",
        b"{\"minioObjectKey\":\"a\"",
        b"\0",
        b"{\"a\"\0:1}",
    ];
    for (i, body) in malformed.iter().enumerate() {
        cases.push(case(format!("malformed #{i}"), t.post(body), 400, bad_body));
    }

    // Truncated copies of a valid body.
    let full = serde_json::to_vec(&valid("truncated.jpg")).unwrap_or_default();
    for cut in (0..full.len()).step_by(5) {
        cases.push(case(format!("truncated at {cut}"), t.post(&full[..cut]), 400, bad_body));
    }

    // Deep nesting, in an ignored field next to valid ones, and alone.
    for depth in [10usize, 50, 200, 1000, 5000] {
        let mut body = valid(&format!("nested-{depth}.jpg")).to_string();
        body.pop();
        let nested = format!(",\"x\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        body.push_str(&nested);
        // An unknown field is skipped, however deep, without recursion (measured: 5000 levels).
        cases.push(case(
            format!("nested arrays {depth} in an unknown field"),
            t.post(body.as_bytes()),
            201,
            None,
        ));
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let expect = if objects.len() > 16 * 1024 { 413 } else { 400 };
        let code = if expect == 413 { Some("PAYLOAD_TOO_LARGE") } else { bad_body };
        cases.push(case(format!("nested objects {depth}"), t.post(objects.as_bytes()), expect, code));
    }

    // Oversized (the body is not even read: Content-Length says enough).
    for size in [16 * 1024 + 1, 17 * 1024, 100 * 1024, 1024 * 1024] {
        let mut body = valid("big.jpg").to_string();
        body.pop();
        body.push_str(&format!(",\"pad\":\"{}\"}}", "x".repeat(size)));
        cases.push(case(
            format!("oversized {size}"),
            t.post(body.as_bytes()),
            413,
            Some("PAYLOAD_TOO_LARGE"),
        ));
    }

    // Duplicate keys: refused for our fields; ignored, like any unknown field, otherwise.
    for field in ["minioObjectKey", "cdnUrl", "takenAt", "step"] {
        let body = valid(&format!("dup-{field}.jpg")).to_string();
        let dup = body.replacen('{', &format!("{{\"{field}\":\"x\","), 1);
        cases.push(case(format!("duplicate {field}"), t.post(dup.as_bytes()), 400, bad_body));
    }
    let body = valid("dup-unknown.jpg").to_string().replacen('{', "{\"x\":1,\"x\":2,", 1);
    cases.push(case("duplicate unknown field", t.post(body.as_bytes()), 201, None));

    // Wrong types in every field.
    let wrong: [Value; 8] =
        [json!(1), json!(1.5), json!(-0), json!(true), json!([]), json!({}), json!(["a"]), json!({"a": "b"})];
    for field in ["minioObjectKey", "cdnUrl", "takenAt", "step"] {
        for value in &wrong {
            let mut body = valid("typed.jpg");
            body[field] = value.clone();
            cases.push(case(
                format!("{field} = {value}"),
                t.post(body.to_string().as_bytes()),
                400,
                bad_body,
            ));
        }
        let mut body = valid(&format!("null-{field}.jpg"));
        body[field] = Value::Null;
        let expect = if field == "step" { 201 } else { 400 };
        cases.push(case(
            format!("{field} = null"),
            t.post(body.to_string().as_bytes()),
            expect,
            (expect == 400).then_some("INVALID_BODY"),
        ));
    }

    // Invalid UTF-8 and NUL bytes, raw and escaped.
    for (i, bytes) in [&b"\xff"[..], b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"a\0b"]
        .iter()
        .enumerate()
    {
        let mut body = b"{\"minioObjectKey\":\"".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(
            b"\",\"cdnUrl\":\"https://cdn.example.com/p.jpg\",\"takenAt\":\"2026-04-15T12:00:00Z\"}",
        );
        cases.push(case(format!("raw bytes #{i}"), t.post(&body), 400, bad_body));
    }
    for field in ["minioObjectKey", "cdnUrl", "takenAt", "step"] {
        let mut body = valid("nul.jpg");
        body[field] = json!(format!("a\u{0}b"));
        cases.push(judged(t, format!("escaped NUL in {field}"), &body));
        let escaped = valid("surrogate.jpg").to_string().replacen("before", "\\ud800", 1);
        cases.push(case(
            format!("lone surrogate escape ({field})"),
            t.post(escaped.as_bytes()),
            400,
            bad_body,
        ));
    }

    // Injection-looking and exotic text in every field.
    let exotic = [
        "'; DROP TABLE photos; --",
        "\" OR 1=1 --",
        "<script>alert(1)</script>",
        "${jndi:ldap://x/a}",
        "{{7*7}}",
        "\u{202e}gpj.exe",
        "e\u{301}\u{301}\u{301}",
        "📷🔥👩‍🔧",
        "\u{200b}",
        "ＡＢＣ",
        "%00%2e%2e",
        "\\..\\",
        "\u{fffd}",
        "\u{10ffff}",
        "a/../b",
        "😀 with space",
    ];
    for (i, text) in exotic.iter().enumerate() {
        let mut body = valid("x");
        body["minioObjectKey"] = json!(format!("exotic/{i}/{text}"));
        cases.push(judged(t, format!("exotic key #{i}"), &body));
        let mut body = valid(&format!("exotic-url-{i}.jpg"));
        body["cdnUrl"] = json!(format!("https://cdn.example.com/{text}"));
        cases.push(judged(t, format!("exotic url #{i}"), &body));
        let mut body = valid(&format!("exotic-taken-{i}.jpg"));
        body["takenAt"] = json!(text);
        cases.push(judged(t, format!("exotic takenAt #{i}"), &body));
        let mut body = valid(&format!("exotic-step-{i}.jpg"));
        body["step"] = json!(text);
        cases.push(judged(t, format!("exotic step #{i}"), &body));
    }
    let surrogate_pair = valid("pair.jpg").to_string().replacen("before", "\\ud83d\\udcf7", 1);
    cases.push(case("escaped surrogate pair", t.post(surrogate_pair.as_bytes()), 201, None));

    // Headers.
    let path = format!("/v1/work-orders/{}/photos", t.wo);
    let body = valid("headers.jpg").to_string();
    let json_ct: (&str, &[u8]) = ("Content-Type", b"application/json");
    let long_key = "k".repeat(8 * 1024);
    let header_cases: Vec<HeaderCase<'_>> = vec![
        ("no key", vec![json_ct], 401, Some("UNAUTHENTICATED")),
        (
            "repeated key",
            vec![("X-API-Key", t.key.as_bytes()), ("X-API-Key", t.key.as_bytes()), json_ct],
            401,
            Some("UNAUTHENTICATED"),
        ),
        ("8 KiB key", vec![("X-API-Key", long_key.as_bytes()), json_ct], 401, Some("UNAUTHENTICATED")),
        ("non-ASCII key", vec![("X-API-Key", b"wok_\xff\xfe"), json_ct], 401, Some("UNAUTHENTICATED")),
        ("key with spaces", vec![("X-API-Key", b"wok acme x"), json_ct], 401, Some("UNAUTHENTICATED")),
        ("empty key", vec![("X-API-Key", b""), json_ct], 401, Some("UNAUTHENTICATED")),
        (
            "key with a SQL tail",
            vec![("X-API-Key", b"wok_acme_01M8ED3501T42800T2900E57BB_' OR '1'='1"), json_ct],
            401,
            Some("UNAUTHENTICATED"),
        ),
        (
            "utf-16 charset",
            vec![("X-API-Key", t.key.as_bytes()), ("Content-Type", b"application/json; charset=utf-16")],
            415,
            Some("UNSUPPORTED_MEDIA_TYPE"),
        ),
        (
            "json-patch",
            vec![("X-API-Key", t.key.as_bytes()), ("Content-Type", b"application/json-patch+json")],
            415,
            Some("UNSUPPORTED_MEDIA_TYPE"),
        ),
        (
            "form",
            vec![("X-API-Key", t.key.as_bytes()), ("Content-Type", b"multipart/form-data; boundary=x")],
            415,
            Some("UNSUPPORTED_MEDIA_TYPE"),
        ),
        ("no content type", vec![("X-API-Key", t.key.as_bytes())], 415, Some("UNSUPPORTED_MEDIA_TYPE")),
        (
            "garbage content type",
            vec![("X-API-Key", t.key.as_bytes()), ("Content-Type", b";;;\xff")],
            415,
            Some("UNSUPPORTED_MEDIA_TYPE"),
        ),
    ];
    for (name, headers, expect, code) in header_cases {
        cases.push(case(format!("header: {name}"), t.raw(&path, &headers, body.as_bytes()), expect, code));
    }
    let many: Vec<String> = (0..60).map(|i| format!("X-Noise-{i}")).collect();
    let mut headers: Vec<(&str, &[u8])> =
        vec![("X-API-Key", t.key.as_bytes()), json_ct, ("X-Trace-Id", &[b'z'; 4000])];
    headers.extend(many.iter().map(|n| (n.as_str(), &b"noise"[..])));
    let body = valid("many-headers.jpg").to_string();
    cases.push(case(
        "60 extra headers and a 4 KB trace id",
        t.raw(&path, &headers, body.as_bytes()),
        201,
        None,
    ));

    // Odd spellings of the work-order id.
    let id = t.wo.clone();
    let odd = [
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
        id.replace('-', ""),
        format!("{id}-"),
        format!("-{id}"),
        format!("%20{id}"),
        format!("{id}%00"),
        format!("%EF%BC%A1{}", &id[1..]),
        id[..35].to_owned(),
        format!("{id}0"),
        "00000000-0000-0000-0000-00000000000g".to_owned(),
        "%2e%2e".to_owned(),
        "null".to_owned(),
        "0".to_owned(),
        format!("{}--{}", &id[..8], &id[9..]),
        "'%20OR%20'1'='1".to_owned(),
    ];
    for (i, spelling) in odd.iter().enumerate() {
        cases.push(case(
            format!("odd id #{i} {spelling}"),
            t.post_to(spelling, valid("odd.jpg").to_string().as_bytes()),
            400,
            Some("INVALID_WORK_ORDER_ID"),
        ));
    }
    cases.push(case(
        "upper-case id",
        t.post_to(&id.to_uppercase(), valid("upper.jpg").to_string().as_bytes()),
        201,
        None,
    ));
    cases.push(case(
        "another tenant's id shape, missing",
        t.post_to("00000000-0000-8000-8000-000000000000", valid("x.jpg").to_string().as_bytes()),
        404,
        Some("WORK_ORDER_NOT_FOUND"),
    ));
    cases
}

/// Sends a request and reads one response, tolerating a reset once the response is whole
/// (a server may close while a refused body is still being sent).
fn exchange(addr: SocketAddr, raw: &[u8]) -> Result<Answer, String> {
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let raw = raw.to_vec();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&raw);
    });
    let response = read_one_response(stream);
    let _ = sender.join();
    response
}

fn read_one_response(mut stream: TcpStream) -> Result<Answer, String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let mut lines = head.lines();
            let status: u16 = lines
                .next()
                .and_then(|l| l.split(' ').nth(1))
                .and_then(|s| s.parse().ok())
                .ok_or("no status")?;
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return Err(format!("connection dropped mid-body after {status}")),
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let body = serde_json::from_slice(&buffer[end + 4..end + 4 + length]).unwrap_or(Value::Null);
            return Ok((status, headers, body));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("connection closed without a response".into()),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("no response: {e}")),
        }
    }
}

pub(crate) fn hostile_requests_get_the_contracts_answers_and_change_nothing_else(mut env: Env) {
    env.extra_env.push(("WORKORDER_AUTH_FAILURES_PER_MINUTE".into(), "0".into()));
    let key = env.cli(&["api-key", "create", "--tenant", "acme"]);
    let wo = env.cli(&["work-order", "create", "--tenant", "acme"]);
    let server = env.start();
    let target = Target { key: key.clone(), wo: wo.clone() };
    let cases = cases(&target);
    assert!(cases.len() >= 200, "only {} hostile cases", cases.len());
    let mut failures = Vec::new();
    let mut created = std::collections::HashSet::new();
    for c in &cases {
        match exchange(server.addr, &c.raw) {
            Err(e) => failures.push(format!("{}: {e}", c.name)),
            Ok((status, headers, body)) => {
                let trace = headers.iter().find(|(k, _)| k == "x-trace-id").map(|(_, v)| v.clone());
                let mut wrong = Vec::new();
                if status != c.expect {
                    wrong.push(format!("status {status}, expected {}", c.expect));
                }
                if trace.is_none() {
                    wrong.push("no X-Trace-Id".into());
                }
                if status >= 400 {
                    if body["status"].as_u64() != Some(u64::from(status))
                        || body["traceId"].as_str() != trace.as_deref()
                        || !body["message"].is_string()
                    {
                        wrong.push(format!("not the contract's body: {body}"));
                    }
                    if let Some(code) = c.code
                        && body["code"] != code
                    {
                        wrong.push(format!("code {}, expected {code}", body["code"]));
                    }
                } else if let Some(id) = body["data"]["photoId"].as_str() {
                    created.insert(id.to_owned());
                }
                if !wrong.is_empty() {
                    failures.push(format!("{}: {}", c.name, wrong.join("; ")));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests answered wrongly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Only the photos answered 201 were recorded, and the server still answers.
    let summary = request(server.addr, "GET", &format!("/v1/work-orders/{wo}"), &[("X-API-Key", &key)], "");
    assert_eq!(summary.body["data"]["photoCount"].as_u64(), Some(created.len() as u64));
    assert_eq!(request(server.addr, "GET", "/healthz", &[], "").status, 200);
    let after = crate::support::attach(server.addr, &key, &wo, &valid("after.jpg").to_string());
    assert_eq!(after.status, 201);
    eprintln!("hostile requests: {} sent, {} photos created, 0 answered wrongly", cases.len(), created.len());
}

/// Bytes that are not HTTP/1.1 are refused by actix's parser before any route runs, so they
/// get a bare 4xx without the contract's body (a documented limit); what matters is that the
/// connection is answered or closed at once and the server lives on.
pub(crate) fn requests_that_are_not_http_are_refused_and_the_server_lives_on(env: Env) {
    let server = env.start();
    let not_http: [&[u8]; 5] = [
        b"POST /v1/work-orders/\xef\xbd\x81/photos HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ];
    for raw in not_http {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = stream.write_all(raw);
        let mut answer = Vec::new();
        let started = std::time::Instant::now();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        assert!(started.elapsed() < Duration::from_secs(8), "hung: {raw:?}");
        assert!(!text.contains(" 500 "), "{raw:?}: {text}");
    }
    let huge_head = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(64 * 1024));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(huge_head.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(!String::from_utf8_lossy(&answer).contains(" 500 "));
    assert_eq!(request(server.addr, "GET", "/healthz", &[], "").status, 200);
}

pub(crate) fn slow_and_cut_off_bodies_are_answered_within_the_servers_timeouts(env: Env) {
    let key = env.cli(&["api-key", "create", "--tenant", "acme"]);
    let wo = env.cli(&["work-order", "create", "--tenant", "acme"]);
    let server = env.start();
    let target = Target { key, wo };

    // Slow but steady: one byte every 20 ms is still served.
    let raw = target.post(valid("slow.jpg").to_string().as_bytes());
    let mut stream = TcpStream::connect(server.addr).unwrap();
    for byte in raw {
        stream.write_all(&[byte]).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let (status, _, _) = read_one_response(stream).unwrap();
    assert_eq!(status, 201);

    // Cut off: fewer bytes than announced, then the client stops sending.
    let body = valid("cut.jpg").to_string();
    let mut raw = target.post(body.as_bytes());
    raw.truncate(raw.len() - body.len() / 2);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(&raw).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let (status, _, body) = read_one_response(stream).unwrap();
    assert_eq!((status, body["code"].as_str()), (400, Some("INVALID_BODY")), "{body}");

    // A trickle past the body timeout (10 s) is answered 408 with the contract's body.
    let raw = target.post(valid("trickle.jpg").to_string().as_bytes());
    let split = raw.len() - 20;
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(&raw[..split]).unwrap();
    let started = std::time::Instant::now();
    let (status, headers, body) = read_one_response(stream).unwrap();
    assert_eq!((status, body["code"].as_str()), (408, Some("REQUEST_TIMEOUT")), "{body}");
    assert!(headers.iter().any(|(k, _)| k == "x-trace-id"));
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
}
