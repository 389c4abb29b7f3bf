//! OpenTelemetry export (the `otlp` feature), end to end: the real binary sends its spans over
//! OTLP/HTTP to a collector the test starts (the e2e suite's receiver, a real HTTP server),
//! and a protobuf decoder written here from the OTLP specification (field numbers of
//! `trace.proto`) reads them, so it shares no code with the exporter.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

#[path = "../../../tests/e2e/receiver.rs"]
#[expect(dead_code, reason = "the e2e suite's receiver; this test uses part of it")]
mod receiver;
#[path = "../../../tests/e2e/support.rs"]
#[expect(dead_code, reason = "the e2e suite's support; this test uses part of it")]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use receiver::{Answer, Receiver};
use support::{Env, attach, photo, request};

workorder_infra::on_both_backends!(
    crate::support::Env::new =>
    spans_of_each_request_and_its_database_calls_reach_the_collector_with_the_answers_ids,
    a_protocol_this_build_cannot_speak_stops_the_start_with_one_line,
);

fn a_protocol_this_build_cannot_speak_stops_the_start_with_one_line(env: Env) {
    let output = env
        .command()
        .env("WORKORDER_BIND", "127.0.0.1:0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "bad configuration");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: ") && last.contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc"), "{stderr}");
}

fn spans_of_each_request_and_its_database_calls_reach_the_collector_with_the_answers_ids(mut env: Env) {
    let collector = Receiver::start(&[], Answer::Empty);
    env.extra_env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), format!("http://{}", collector.addr)),
        // Far longer than the test: what arrives was sent by the flush at shutdown.
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "600000".into()),
    ];
    let (key, wo) = support::setup(&env);
    let server = env.start();

    let (trace, caller) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let created = support::request(
        server.addr,
        "POST",
        &format!("/v1/work-orders/{wo}/photos"),
        &[
            ("X-API-Key", &key),
            ("Content-Type", "application/json"),
            ("traceparent", &format!("00-{trace}-{caller}-01")),
            ("User-Agent", "field-app/7"),
        ],
        &photo("a.jpg"),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let answered = created.header("traceparent").unwrap().to_owned();
    let ours = answered.split('-').nth(2).unwrap().to_owned();
    // A caller that does not sample its trace: nothing of it is exported.
    let unsampled = "0af7651916cd43dd8448eb211c80319c";
    let listed = request(
        server.addr,
        "GET",
        &format!("/v1/work-orders/{wo}/photos"),
        &[("X-API-Key", &key), ("traceparent", &format!("00-{unsampled}-b7ad6b7169203331-00"))],
        "",
    );
    assert_eq!(listed.status, 200);
    // A request that begins its own trace is exported under the trace its answer names.
    let replay = attach(server.addr, &key, &wo, &photo("a.jpg"));
    assert_eq!(replay.status, 200);
    let replay_trace = replay.header("traceparent").unwrap().split('-').nth(1).unwrap().to_owned();
    assert!(server.terminate().success());

    let exports = wait_for_spans(&collector, |spans| spans.iter().any(|s| hex(&s.trace_id) == replay_trace));
    for export in &exports {
        assert_eq!(export.path, "/v1/traces");
        assert_eq!(export.content_type.as_deref(), Some("application/x-protobuf"));
        assert_eq!(export.resource.get("service.name"), Some(&Value::Text("workorder-http".into())));
    }
    let spans: Vec<&Span> = exports.iter().flat_map(|e| &e.spans).collect();
    assert!(spans.iter().all(|s| hex(&s.trace_id) != unsampled), "an unsampled trace was exported");

    let server_span = spans
        .iter()
        .find(|s| hex(&s.trace_id) == trace && s.kind == SERVER)
        .unwrap_or_else(|| panic!("no server span of the traced attach in {spans:#?}"));
    assert_eq!(hex(&server_span.span_id), ours, "the span is the one the answer's traceparent names");
    assert_eq!(hex(&server_span.parent_span_id), caller, "its parent is the caller's span");
    assert_eq!(server_span.name, "POST /v1/work-orders/{id}/photos");
    let attribute = |span: &Span, name: &str| span.attributes.get(name).cloned();
    assert_eq!(attribute(server_span, "http.response.status_code"), Some(Value::Int(201)));
    assert_eq!(attribute(server_span, "http.request.method"), Some(Value::Text("POST".into())));
    assert_eq!(attribute(server_span, "http.route"), Some(Value::Text("/v1/work-orders/{id}/photos".into())));
    assert_eq!(attribute(server_span, "workorder.tenant"), Some(Value::Text("acme".into())));
    assert_eq!(attribute(server_span, "user_agent.original"), Some(Value::Text("field-app/7".into())));
    assert_eq!(attribute(server_span, "client.address"), Some(Value::Text("127.0.0.1".into())));
    assert!(server_span.start <= server_span.end);

    let system = if env.database_url().starts_with("postgres") { "postgresql" } else { "sqlite" };
    let children: Vec<&&Span> = spans.iter().filter(|s| s.parent_span_id == server_span.span_id).collect();
    let batch = children
        .iter()
        .find(|s| s.name == "attach batch")
        .unwrap_or_else(|| panic!("no database span under the attach: {children:#?}"));
    assert_eq!(batch.kind, CLIENT);
    assert_eq!(batch.trace_id, server_span.trace_id);
    assert_eq!(attribute(batch, "db.system.name"), Some(Value::Text(system.into())));
    assert!(matches!(attribute(batch, "db.operation.batch.size"), Some(Value::Int(n)) if n >= 1));
    assert!(server_span.start <= batch.start && batch.end <= server_span.end, "{server_span:?} {batch:?}");
    assert_eq!(batch.status_code, 0, "the call succeeded");

    let replayed = spans.iter().find(|s| hex(&s.trace_id) == replay_trace && s.kind == SERVER).unwrap();
    assert_eq!(replayed.parent_span_id, Vec::<u8>::new(), "a trace of its own has no parent");
    assert_eq!(attribute(replayed, "http.response.status_code"), Some(Value::Int(200)));
}

const SERVER: u64 = 2;
const CLIENT: u64 = 3;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One export request as the collector received it.
#[derive(Debug, Clone)]
struct Export {
    path: String,
    content_type: Option<String>,
    resource: HashMap<String, Value>,
    spans: Vec<Span>,
}

#[derive(Debug, Clone, Default)]
struct Span {
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    name: String,
    kind: u64,
    start: u64,
    end: u64,
    attributes: HashMap<String, Value>,
    /// 0 unset, 1 ok, 2 error.
    status_code: u64,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Other,
}

/// The exports the collector received once `done` holds of their spans; panics after 30 s.
fn wait_for_spans(collector: &Receiver, done: impl Fn(&[Span]) -> bool) -> Vec<Export> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let exports: Vec<Export> = collector
            .hits()
            .iter()
            .map(|hit| {
                let (resource, spans) = decode_export(&hit.body);
                let content_type = hit.header("content-type").map(str::to_owned);
                Export { path: hit.path.clone(), content_type, resource, spans }
            })
            .collect();
        let spans: Vec<Span> = exports.iter().flat_map(|e| e.spans.clone()).collect();
        if done(&spans) {
            return exports;
        }
        assert!(Instant::now() < deadline, "the spans did not arrive: {exports:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Protobuf's wire format: each field a varint key (number << 3 | wire type), then a varint
/// (type 0), 8 bytes (1), a length and that many bytes (2) or 4 bytes (5).
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

fn fields(mut buf: &[u8]) -> Vec<(u64, Field<'_>)> {
    fn varint(buf: &mut &[u8]) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = buf[0];
            *buf = &buf[1..];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf);
        let field = match key & 7 {
            0 => Field::Varint(varint(&mut buf)),
            1 => {
                let (value, rest) = buf.split_at(8);
                buf = rest;
                Field::Fixed64(u64::from_le_bytes(value.try_into().unwrap()))
            }
            2 => {
                let len = varint(&mut buf) as usize;
                let (value, rest) = buf.split_at(len);
                buf = rest;
                Field::Bytes(value)
            }
            5 => {
                buf = &buf[4..];
                Field::Fixed32
            }
            other => panic!("wire type {other} is not in OTLP"),
        };
        out.push((key >> 3, field));
    }
    out
}

fn bytes_of(field: Field<'_>) -> &[u8] {
    match field {
        Field::Bytes(bytes) => bytes,
        other => panic!("expected a length-delimited field, got {other:?}"),
    }
}

/// `ExportTraceServiceRequest`: 1 resource_spans → `ResourceSpans` (1 resource, 2 scope_spans)
/// → `ScopeSpans` (2 spans).
fn decode_export(body: &[u8]) -> (HashMap<String, Value>, Vec<Span>) {
    let (mut resource, mut spans) = (HashMap::new(), Vec::new());
    for (number, field) in fields(body) {
        assert_eq!(number, 1, "ExportTraceServiceRequest has resource_spans only");
        for (number, field) in fields(bytes_of(field)) {
            match number {
                1 => {
                    for (number, attribute) in fields(bytes_of(field)) {
                        if number == 1 {
                            let (key, value) = key_value(bytes_of(attribute));
                            resource.insert(key, value);
                        }
                    }
                }
                2 => {
                    for (number, field) in fields(bytes_of(field)) {
                        if number == 2 {
                            spans.push(span(bytes_of(field)));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    (resource, spans)
}

/// `Span`: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end,
/// 9 attributes, 15 status (3 code).
fn span(buf: &[u8]) -> Span {
    let mut span = Span::default();
    for (number, field) in fields(buf) {
        match (number, field) {
            (1, Field::Bytes(b)) => span.trace_id = b.to_vec(),
            (2, Field::Bytes(b)) => span.span_id = b.to_vec(),
            (4, Field::Bytes(b)) => span.parent_span_id = b.to_vec(),
            (5, Field::Bytes(b)) => span.name = String::from_utf8(b.to_vec()).unwrap(),
            (6, Field::Varint(v)) => span.kind = v,
            (7, Field::Fixed64(v)) => span.start = v,
            (8, Field::Fixed64(v)) => span.end = v,
            (9, Field::Bytes(b)) => {
                let (key, value) = key_value(b);
                span.attributes.insert(key, value);
            }
            (15, Field::Bytes(b)) => {
                for (number, field) in fields(b) {
                    if let (3, Field::Varint(code)) = (number, field) {
                        span.status_code = code;
                    }
                }
            }
            _ => {}
        }
    }
    span
}

/// `KeyValue`: 1 key, 2 value → `AnyValue`: 1 string, 2 bool, 3 int, 4 double.
fn key_value(buf: &[u8]) -> (String, Value) {
    let (mut key, mut value) = (String::new(), Value::Other);
    for (number, field) in fields(buf) {
        match number {
            1 => key = String::from_utf8(bytes_of(field).to_vec()).unwrap(),
            2 => {
                for (number, field) in fields(bytes_of(field)) {
                    value = match (number, field) {
                        (1, Field::Bytes(b)) => Value::Text(String::from_utf8(b.to_vec()).unwrap()),
                        (2, Field::Varint(v)) => Value::Bool(v != 0),
                        (3, Field::Varint(v)) => Value::Int(v as i64),
                        (4, Field::Fixed64(v)) => Value::Double(f64::from_bits(v)),
                        _ => Value::Other,
                    };
                }
            }
            _ => {}
        }
    }
    (key, value)
}
