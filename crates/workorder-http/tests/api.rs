//! The HTTP contract, in process, over the in-memory adapters: every row of the error table,
//! success, retry and conflict, with status, headers and the whole body.

mod support;

use std::sync::Arc;

use support::http::{Answer, call};
use support::{GLOBEX_KEY, KEY, WO, World, world, world_with};

use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use async_trait::async_trait;
use serde_json::{Value, json};
use workorder_domain::in_memory::InMemoryWorkOrderRepo;
use workorder_domain::{
    ApiKeyId, AttachPolicy, Attachment, CdnHostPolicy, Error, NewPhoto, TenantId, WorkOrderId, WorkOrderRepo,
    WorkOrderStatus,
};
use workorder_http::app;

fn photo() -> Value {
    json!({
        "minioObjectKey": "acme/wo/front.jpg",
        "cdnUrl": "https://cdn.example.com/acme/wo/front.jpg",
        "takenAt": "2026-04-15T12:00:00Z",
        "step": "before"
    })
}

fn post(id: &str) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/v1/work-orders/{id}/photos"))
        .insert_header(("X-API-Key", KEY))
        .insert_header(("Content-Type", "application/json"))
}

#[actix_web::test]
async fn a_valid_photo_answers_201_with_location_and_the_canonical_work_order() {
    let w = world();
    let a = call(&w, post(WO).set_json(photo())).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let photo_id = a.body["data"]["photoId"].as_str().unwrap().to_owned();
    assert_eq!(photo_id.len(), 26);
    assert_eq!(
        a.body,
        json!({ "data": { "workOrderId": WO.to_lowercase(), "status": "IN_PROGRESS", "photoId": photo_id } })
    );
    assert_eq!(
        a.header("location"),
        Some(format!("/v1/work-orders/{}/photos/{photo_id}", WO.to_lowercase()).as_str())
    );
    assert_eq!(a.header("content-type"), Some("application/json"));
}

#[actix_web::test]
async fn a_retry_answers_200_with_the_same_photo_id_and_records_nothing() {
    let w = world();
    let first = call(&w, post(WO).set_json(photo())).await;
    let mut same = photo();
    same["takenAt"] = json!("2026-04-15T14:00:00+02:00");
    let again = call(&w, post(&WO.to_lowercase()).set_json(same)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(w.repo.photos(&TenantId::parse("acme").unwrap(), WorkOrderId::parse(WO).unwrap()).len(), 1);
}

#[actix_web::test]
async fn the_same_key_with_other_data_answers_409_photo_conflict() {
    let w = world();
    call(&w, post(WO).set_json(photo())).await;
    let mut other = photo();
    other["step"] = json!("after");
    call(&w, post(WO).set_json(other)).await.assert_error(
        409,
        "PHOTO_CONFLICT",
        Some(("workorder", "photos")),
    );
}

#[actix_web::test]
async fn closed_and_cancelled_work_orders_answer_409_work_order_closed() {
    for status in WorkOrderStatus::ALL {
        let w = world();
        w.repo.put_work_order(&TenantId::parse("acme").unwrap(), WorkOrderId::parse(WO).unwrap(), status);
        let a = call(&w, post(WO).set_json(photo())).await;
        if status.accepts_photos() {
            assert_eq!(
                (a.status, a.body["data"]["status"].as_str()),
                (StatusCode::CREATED, Some(status.as_str()))
            );
        } else {
            a.assert_error(409, "WORK_ORDER_CLOSED", Some(("workorder", "work-orders")));
        }
    }
}

#[actix_web::test]
async fn bad_bodies_answer_400_invalid_body() {
    let w = world();
    let raw_cases: [(&str, &[u8]); 10] = [
        ("malformed", b"{\"minioObjectKey\": "),
        ("empty", b""),
        ("not an object", b"[1,2,3]"),
        ("an array in the fields' order", br#"["k","https://cdn.example.com/x","2026-04-15T12:00:00Z",null]"#),
        ("a string", b"\"hello\""),
        ("invalid utf-8", b"{\"minioObjectKey\": \"\xff\xfe\"}"),
        ("duplicate keys", br#"{"minioObjectKey":"a","minioObjectKey":"b","cdnUrl":"https://c.example/a","takenAt":"2026-04-15T12:00:00Z"}"#),
        ("invalid utf-8 in an unknown field", b"{\"minioObjectKey\":\"acme/wo/a.jpg\",\"cdnUrl\":\"https://cdn.example.com/a\",\"takenAt\":\"2026-04-15T12:00:00Z\",\"note\":\"\xff\"}"),
        ("a truncated utf-8 sequence outside any string", b"{\"minioObjectKey\":\"acme/wo/a.jpg\",\"cdnUrl\":\"https://cdn.example.com/a\",\"takenAt\":\"2026-04-15T12:00:00Z\"} \xe2\x82"),
        ("lone surrogate", br#"{"minioObjectKey":"\ud800","cdnUrl":"https://c.example/a","takenAt":"2026-04-15T12:00:00Z"}"#),
    ];
    for (name, body) in raw_cases {
        let a = call(&w, post(WO).set_payload(body.to_vec())).await;
        a.assert_error(400, "INVALID_BODY", Some(("workorder", "photos")));
        assert!(!a.detail_fields().is_empty(), "{name}");
    }
}

#[actix_web::test]
async fn every_bad_field_is_listed_in_details() {
    let w = world();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["minioObjectKey", "cdnUrl", "takenAt"]),
        (
            json!({"minioObjectKey": null, "cdnUrl": null, "takenAt": null, "step": null}),
            vec!["minioObjectKey", "cdnUrl", "takenAt"],
        ),
        (
            json!({"minioObjectKey": 1, "cdnUrl": true, "takenAt": [], "step": {}}),
            vec!["minioObjectKey", "cdnUrl", "takenAt", "step"],
        ),
        (
            json!({"minioObjectKey": "/a", "cdnUrl": "ftp://x", "takenAt": "2026-04-15T12:00:00", "step": " "}),
            vec!["minioObjectKey", "cdnUrl", "takenAt", "step"],
        ),
        (
            json!({"minioObjectKey": "a//b", "cdnUrl": "https://u:p@cdn.example.com/", "takenAt": "1999-12-31T23:59:59Z"}),
            vec!["minioObjectKey", "cdnUrl", "takenAt"],
        ),
        (
            json!({"minioObjectKey": "a", "cdnUrl": "https://cdn.example.com/", "takenAt": "2999-01-01T00:00:00Z"}),
            vec!["takenAt"],
        ),
        (
            json!({"minioObjectKey": "a", "cdnUrl": "https://cdn.example.com/", "takenAt": "9999-12-31T23:59:59-01:00"}),
            vec!["takenAt"],
        ),
        (
            json!({"minioObjectKey": "a", "cdnUrl": "https://cdn.example.com/", "takenAt": "2026-04-15x12:00:00Z"}),
            vec!["takenAt"],
        ),
        (
            json!({"minioObjectKey": "a\u{0}", "cdnUrl": "https://cdn.example.com/", "takenAt": "2026-01-01T00:00:00Z", "step": "x".repeat(101)}),
            vec!["minioObjectKey", "step"],
        ),
    ];
    for (body, fields) in cases {
        let a = call(&w, post(WO).set_json(&body)).await;
        a.assert_error(400, "INVALID_BODY", Some(("workorder", "photos")));
        assert_eq!(a.detail_fields(), fields, "{body}");
    }
}

#[actix_web::test]
async fn unknown_fields_are_ignored_and_step_may_be_absent_or_null() {
    let w = world();
    let mut body = photo();
    body["extra"] = json!({"nested": [1, 2, 3]});
    body["step"] = Value::Null;
    assert_eq!(call(&w, post(WO).set_json(&body)).await.status, StatusCode::CREATED);
    let mut no_step = photo();
    no_step["minioObjectKey"] = json!("other.jpg");
    no_step.as_object_mut().unwrap().remove("step");
    assert_eq!(call(&w, post(WO).set_json(&no_step)).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn the_cdn_host_allow_list_is_enforced_when_configured() {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    let policy = AttachPolicy {
        cdn_hosts: CdnHostPolicy::only(["cdn.example.com"]).unwrap(),
        ..AttachPolicy::default()
    };
    let w = world_with(repo.clone(), repo, policy);
    let mut evil = photo();
    evil["cdnUrl"] = json!("https://evil.example.net/x.jpg");
    let a = call(&w, post(WO).set_json(&evil)).await;
    a.assert_error(400, "INVALID_BODY", Some(("workorder", "photos")));
    assert_eq!(a.detail_fields(), ["cdnUrl"]);
    assert_eq!(call(&w, post(WO).set_json(photo())).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn a_path_id_that_is_not_a_uuid_answers_400_invalid_work_order_id() {
    let w = world();
    for id in [
        "nope",
        "2489e9ad2ee28e008ec932d5f69181c0",
        "%7B2489e9ad-2ee2-8e00-8ec9-32d5f69181c0%7D",
        "2489e9ad-2ee2-8e00-8ec9-32d5f69181cg",
    ] {
        call(&w, post(id).set_json(photo())).await.assert_error(
            400,
            "INVALID_WORK_ORDER_ID",
            Some(("workorder", "work-orders")),
        );
    }
    // The path is checked before the body.
    call(&w, post("nope").set_payload("{")).await.assert_error(
        400,
        "INVALID_WORK_ORDER_ID",
        Some(("workorder", "work-orders")),
    );
}

#[actix_web::test]
async fn a_missing_empty_unknown_revoked_or_repeated_key_answers_401() {
    let w = world();
    let requests = [
        TestRequest::post()
            .uri(&format!("/v1/work-orders/{WO}/photos"))
            .insert_header(("Content-Type", "application/json")),
        post(WO).insert_header(("X-API-Key", "")),
        post(WO).insert_header(("X-API-Key", "wok_acme_unknown")),
        post(WO).append_header(("X-API-Key", KEY)),
    ];
    for req in requests {
        call(&w, req.set_json(photo())).await.assert_error(
            401,
            "UNAUTHENTICATED",
            Some(("identity", "api-keys")),
        );
    }
    w.verifier.revoke(ApiKeyId::new(ulid::Ulid(1)));
    call(&w, post(WO).set_json(photo())).await.assert_error(
        401,
        "UNAUTHENTICATED",
        Some(("identity", "api-keys")),
    );
}

#[actix_web::test]
async fn authentication_is_checked_before_everything_else() {
    let w = world();
    let req = TestRequest::post()
        .uri("/v1/work-orders/nope/photos")
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("x".repeat(20_000));
    call(&w, req).await.assert_error(401, "UNAUTHENTICATED", Some(("identity", "api-keys")));
}

#[actix_web::test]
async fn a_bad_body_is_reported_before_a_missing_work_order() {
    let w = world();
    call(&w, post("00000000-0000-4000-8000-000000000000").set_payload("{")).await.assert_error(
        400,
        "INVALID_BODY",
        Some(("workorder", "photos")),
    );
}

#[actix_web::test]
async fn another_tenants_closed_work_order_is_not_found_rather_than_closed() {
    let w = world();
    let globex = TenantId::parse("globex").unwrap();
    let other = "11111111-1111-4111-8111-111111111111";
    w.repo.put_work_order(&globex, WorkOrderId::parse(other).unwrap(), WorkOrderStatus::Closed);
    call(&w, post(other).set_json(photo())).await.assert_error(
        404,
        "WORK_ORDER_NOT_FOUND",
        Some(("workorder", "work-orders")),
    );
    call(&w, post(other).insert_header(("X-API-Key", GLOBEX_KEY)).set_json(photo())).await.assert_error(
        409,
        "WORK_ORDER_CLOSED",
        Some(("workorder", "work-orders")),
    );
}

#[actix_web::test]
async fn another_tenants_work_order_answers_exactly_like_a_missing_one() {
    let w = world();
    let foreign = call(&w, post(WO).insert_header(("X-API-Key", GLOBEX_KEY)).set_json(photo())).await;
    let missing = call(&w, post("00000000-0000-4000-8000-000000000000").set_json(photo())).await;
    foreign.assert_error(404, "WORK_ORDER_NOT_FOUND", Some(("workorder", "work-orders")));
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("traceId");
        v
    };
    assert_eq!(strip(foreign.body.clone()), strip(missing.body.clone()));
    assert_eq!(foreign.body["message"], "Ordre de travail introuvable");
}

#[actix_web::test]
async fn a_body_over_16_kib_answers_413() {
    let w = world();
    let mut big = photo();
    big["padding"] = json!("x".repeat(16 * 1024));
    call(&w, post(WO).set_json(&big)).await.assert_error(413, "PAYLOAD_TOO_LARGE", None);
    // Exactly at the limit is fine.
    let mut at_limit = photo();
    let base = serde_json::to_vec(&{
        let mut b = photo();
        b["p"] = json!("");
        b
    })
    .unwrap()
    .len();
    at_limit["p"] = json!("x".repeat(16 * 1024 - base));
    assert_eq!(serde_json::to_vec(&at_limit).unwrap().len(), 16 * 1024);
    assert_eq!(call(&w, post(WO).set_json(&at_limit)).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn a_body_not_declared_as_json_answers_415() {
    let w = world();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/xml"),
        Some("application/json; charset=latin1"),
        Some("application/jsonx"),
    ] {
        let mut req = TestRequest::post()
            .uri(&format!("/v1/work-orders/{WO}/photos"))
            .insert_header(("X-API-Key", KEY));
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let a = call(&w, req.set_payload(serde_json::to_vec(&photo()).unwrap())).await;
        a.assert_error(415, "UNSUPPORTED_MEDIA_TYPE", None);
    }
    let ok = post(WO)
        .insert_header(("Content-Type", "Application/JSON; charset=UTF-8"))
        .set_payload(serde_json::to_vec(&photo()).unwrap());
    assert_eq!(call(&w, ok).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn unknown_routes_answer_404_and_wrong_methods_405() {
    let w = world();
    call(&w, TestRequest::get().uri("/v1/nothing")).await.assert_error(404, "ROUTE_NOT_FOUND", None);
    call(&w, TestRequest::get().uri("/")).await.assert_error(404, "ROUTE_NOT_FOUND", None);
    for req in [TestRequest::put(), TestRequest::delete(), TestRequest::patch()] {
        call(&w, req.uri(&format!("/v1/work-orders/{WO}/photos"))).await.assert_error(
            405,
            "METHOD_NOT_ALLOWED",
            None,
        );
    }
    call(&w, TestRequest::post().uri("/healthz")).await.assert_error(405, "METHOD_NOT_ALLOWED", None);
}

#[actix_web::test]
async fn an_unavailable_database_answers_503_with_retry_after_and_readyz_says_so() {
    let w = world();
    w.repo.set_unavailable(true);
    let a = call(&w, post(WO).set_json(photo())).await;
    a.assert_error(503, "SERVICE_UNAVAILABLE", None);
    assert!(a.header("retry-after").is_some_and(|s| s.parse::<u32>().is_ok()));
    call(&w, TestRequest::get().uri("/readyz")).await.assert_error(503, "SERVICE_UNAVAILABLE", None);
    assert_eq!(call(&w, TestRequest::get().uri("/healthz")).await.status, StatusCode::OK);
    let head = |uri: &'static str| call(&w, TestRequest::default().method(Method::HEAD).uri(uri));
    assert_eq!(head("/readyz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(head("/healthz").await.status, StatusCode::OK);
    w.repo.set_unavailable(false);
    assert_eq!(call(&w, TestRequest::get().uri("/readyz")).await.status, StatusCode::OK);
    assert_eq!(head("/readyz").await.status, StatusCode::OK);
    assert_eq!(call(&w, post(WO).set_json(photo())).await.status, StatusCode::CREATED);
}

/// A store that fails the way a bug would: an error, or a panic.
struct Broken {
    panics: bool,
}

#[async_trait]
impl WorkOrderRepo for Broken {
    async fn attach_photo(&self, _: NewPhoto) -> Result<Attachment, Error> {
        if self.panics {
            panic!("bug in the adapter");
        }
        Err(Error::internal("SELECT secret FROM /var/lib/db: syntax error"))
    }

    async fn decide_attach(&self, _: &NewPhoto) -> Result<workorder_domain::AttachDecision, Error> {
        Err(Error::internal("SELECT secret FROM /var/lib/db: syntax error"))
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[actix_web::test]
async fn a_store_failure_or_a_panic_answers_500_and_shows_nothing_of_it() {
    for panics in [false, true] {
        let in_memory = Arc::new(InMemoryWorkOrderRepo::default());
        let w = world_with(Arc::new(Broken { panics }), in_memory, AttachPolicy::default());
        let a = call(&w, post(WO).set_json(photo())).await;
        a.assert_error(500, "INTERNAL_ERROR", None);
        let text = a.body.to_string();
        assert!(!text.contains("SELECT") && !text.contains("/var/lib") && !text.contains("bug"), "{text}");
        // The server still answers afterwards.
        assert_eq!(call(&w, TestRequest::get().uri("/healthz")).await.status, StatusCode::OK);
    }
}

/// Over a real socket, as a client meets it: the answer to a panic is rendered by actix's
/// dispatcher from the middleware's error, not by the test harness.
#[actix_web::test]
async fn a_panicking_handler_answers_the_contracts_500_over_a_real_connection() {
    use std::io::{Read, Write};

    let in_memory = Arc::new(InMemoryWorkOrderRepo::default());
    let state = world_with(Arc::new(Broken { panics: true }), in_memory, AttachPolicy::default()).state;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = actix_web::HttpServer::new(move || app(state.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let body = photo().to_string();
    let raw = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "POST /v1/work-orders/{WO}/photos HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nX-Trace-Id: t-panic\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    handle.stop(false).await;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");
    let head = head.to_lowercase();
    assert!(
        head.contains("x-trace-id: t-panic") && head.contains("content-type: application/json"),
        "{head}"
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("INTERNAL_ERROR"), Some(500)));
    assert_eq!(body["traceId"], "t-panic");
    assert!(!body.to_string().contains("bug"), "{body}");
}

#[actix_web::test]
async fn a_clients_trace_id_is_reused_and_a_bad_one_replaced() {
    let w = world();
    let given = call(&w, TestRequest::get().uri("/nope").insert_header(("X-Trace-Id", "req-42.a_B"))).await;
    assert_eq!(given.header("x-trace-id"), Some("req-42.a_B"));
    assert_eq!(given.body["traceId"], "req-42.a_B");
    let longest = "a".repeat(64);
    let kept =
        call(&w, TestRequest::get().uri("/nope").insert_header(("X-Trace-Id", longest.as_str()))).await;
    assert_eq!(kept.header("x-trace-id"), Some(longest.as_str()));
    for bad in ["", "has space", "ünïcode", &"x".repeat(65), "a/b"] {
        let a = call(&w, TestRequest::get().uri("/nope").insert_header(("X-Trace-Id", bad))).await;
        let made = a.header("x-trace-id").unwrap();
        assert_ne!(made, bad);
        assert!(ulid::Ulid::from_string(made).is_ok(), "{made}");
    }
    let ok = call(&w, post(WO).insert_header(("X-Trace-Id", "t1")).set_json(photo())).await;
    assert_eq!(ok.header("x-trace-id"), Some("t1"));
}

fn traceparent_of(a: &Answer) -> (String, String, String) {
    let value = a.header("traceparent").expect("every answer carries a traceparent");
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!((parts.len(), parts[0]), (4, "00"), "{value}");
    assert_eq!((parts[1].len(), parts[2].len()), (32, 16), "{value}");
    (parts[1].to_owned(), parts[2].to_owned(), parts[3].to_owned())
}

#[actix_web::test]
async fn a_w3c_traceparent_gives_the_trace_id_and_answers_carry_one() {
    let w = world();
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let a = call(&w, post(WO).insert_header(("traceparent", incoming)).set_json(photo())).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.header("x-trace-id"), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    let (trace, span, flags) = traceparent_of(&a);
    assert_eq!((trace.as_str(), flags.as_str()), ("4bf92f3577b34da6a3ce929d0e0e4736", "00"));
    assert_ne!(span, "00f067aa0ba902b7", "the answer names a span of ours");

    // An error answer's body carries the same id.
    let e = call(&w, TestRequest::get().uri("/nope").insert_header(("traceparent", incoming))).await;
    assert_eq!(e.body["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");

    // A valid X-Trace-Id wins; the traceparent still names the caller's trace.
    let both = call(
        &w,
        TestRequest::get()
            .uri("/nope")
            .insert_header(("traceparent", incoming))
            .insert_header(("X-Trace-Id", "t1")),
    )
    .await;
    assert_eq!(both.header("x-trace-id"), Some("t1"));
    assert_eq!(traceparent_of(&both).0, "4bf92f3577b34da6a3ce929d0e0e4736");

    // An invalid traceparent is ignored: a new ULID, whose 128 bits are the W3C trace-id.
    let bad = call(
        &w,
        TestRequest::get()
            .uri("/nope")
            .insert_header(("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")),
    )
    .await;
    let made = ulid::Ulid::from_string(bad.header("x-trace-id").unwrap()).unwrap();
    assert_eq!(traceparent_of(&bad).0, format!("{:032x}", u128::from(made)));

    // An X-Trace-Id of 32 zeros is kept as the id, but all zeros is no W3C trace: a new one.
    let zeros = "0".repeat(32);
    let zero = call(&w, TestRequest::get().uri("/nope").insert_header(("x-trace-id", zeros.as_str()))).await;
    assert_eq!(zero.header("x-trace-id"), Some(zeros.as_str()));
    let (trace, span, _) = traceparent_of(&zero);
    assert_ne!(trace, zeros);
    assert_ne!(span, "0".repeat(16));
}

#[actix_web::test]
async fn healthz_answers_without_a_key() {
    let w = world();
    let a = call(&w, TestRequest::get().uri("/healthz")).await;
    assert_eq!((a.status, a.body.clone()), (StatusCode::OK, json!({"status": "ok"})));
}

#[actix_web::test]
async fn too_many_failed_authentications_from_one_address_answer_429_with_retry_after() {
    let mut w = world();
    w.state.auth_limiter = Arc::new(workorder_http::AuthLimiter::new(workorder_http::AuthFailureLimit {
        failures: 5,
        window: std::time::Duration::from_secs(60),
    }));
    let attacker: std::net::SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let honest: std::net::SocketAddr = "198.51.100.9:40000".parse().unwrap();
    for i in 0..5 {
        let req = post(WO).insert_header(("X-API-Key", format!("guess-{i}"))).peer_addr(attacker);
        call(&w, req.set_json(photo())).await.assert_error(
            401,
            "UNAUTHENTICATED",
            Some(("identity", "api-keys")),
        );
    }
    let refused =
        call(&w, post(WO).insert_header(("X-API-Key", "guess-6")).peer_addr(attacker).set_json(photo()))
            .await;
    refused.assert_error(429, "TOO_MANY_REQUESTS", None);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    // Another address is not slowed, and valid requests never counted.
    let ok = call(&w, post(WO).peer_addr(honest).set_json(photo())).await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn requests_with_made_up_methods_add_no_metric_series() {
    let w = world();
    let service = test::init_service(app(w.state.clone())).await;
    let fresh = test::call_service(&service, TestRequest::get().uri("/metrics").to_request()).await;
    let fresh = String::from_utf8(test::read_body(fresh).await.to_vec()).unwrap();
    for i in 0..300 {
        let method =
            actix_web::http::Method::from_bytes(format!("M{i}{}", "X".repeat(2000)).as_bytes()).unwrap();
        let req = TestRequest::default().method(method).uri(&format!("/v1/work-orders/{WO}/photos"));
        let response = test::call_service(&service, req.to_request()).await;
        assert!(response.status().is_client_error());
    }
    let scrape = test::call_service(&service, TestRequest::get().uri("/metrics").to_request()).await;
    let text = String::from_utf8(test::read_body(scrape).await.to_vec()).unwrap();
    // The series the requests added: those the fresh scrape, which holds every documented
    // answer at 0, did not have.
    let label_set = |l: &str| l.split(' ').next().unwrap_or_default().to_owned();
    let before: std::collections::HashSet<String> = fresh.lines().map(label_set).collect();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("workorder_http_requests_total{") && !before.contains(&label_set(l)))
        .collect();
    assert!(series.len() <= 3, "{series:#?}");
    assert!(series.iter().all(|l| l.contains("method=\"other\"")), "{series:#?}");
    // A series per made-up method would add 600 KB.
    assert!(
        text.len() < fresh.len() + 4096,
        "the scrape stays small: {} bytes, {} fresh",
        text.len(),
        fresh.len()
    );
}

fn limited_world(failures: u32) -> World {
    let mut w = world();
    w.state.auth_limiter = Arc::new(workorder_http::AuthLimiter::new(workorder_http::AuthFailureLimit {
        failures,
        window: std::time::Duration::from_secs(60),
    }));
    w
}

#[actix_web::test]
async fn a_key_that_verifies_is_never_refused_by_the_failure_limit() {
    let w = limited_world(3);
    let office: std::net::SocketAddr = "192.0.2.50:40000".parse().unwrap();
    for i in 0..10 {
        let req = post(WO).insert_header(("X-API-Key", format!("revoked-{i}"))).peer_addr(office);
        let a = call(&w, req.set_json(photo())).await;
        assert!([401, 429].contains(&a.status.as_u16()));
    }
    let locked =
        call(&w, post(WO).insert_header(("X-API-Key", "revoked-x")).peer_addr(office).set_json(photo()))
            .await;
    locked.assert_error(429, "TOO_MANY_REQUESTS", None);
    // A technician behind the same address, with a valid key.
    let ok = call(&w, post(WO).peer_addr(office).set_json(photo())).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    // Keyless requests count too, and are refused like bad keys.
    let keyless = TestRequest::get().uri(&format!("/v1/work-orders/{WO}")).peer_addr(office);
    call(&w, keyless).await.assert_error(429, "TOO_MANY_REQUESTS", None);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_failures_count_against_the_forwarded_client() {
    let mut w = limited_world(2);
    w.state.trusted_proxies = workorder_http::TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
    let lb: std::net::SocketAddr = "10.0.0.2:40000".parse().unwrap();
    let bad = |client: &str| {
        post(WO)
            .insert_header(("X-API-Key", "nope"))
            .insert_header(("X-Forwarded-For", format!("6.6.6.6, {client}")))
            .peer_addr(lb)
            .set_json(photo())
    };
    for _ in 0..2 {
        call(&w, bad("198.51.100.1")).await.assert_error(
            401,
            "UNAUTHENTICATED",
            Some(("identity", "api-keys")),
        );
    }
    call(&w, bad("198.51.100.1")).await.assert_error(429, "TOO_MANY_REQUESTS", None);
    // Another client behind the same balancer is not locked out: the balancer is not the client.
    call(&w, bad("198.51.100.2")).await.assert_error(401, "UNAUTHENTICATED", Some(("identity", "api-keys")));

    // From an untrusted peer, X-Forwarded-For is ignored: the peer itself is counted.
    let direct: std::net::SocketAddr = "203.0.113.9:40000".parse().unwrap();
    for i in 0..3 {
        let req = post(WO)
            .insert_header(("X-API-Key", "nope"))
            .insert_header(("X-Forwarded-For", format!("192.0.2.{i}")))
            .peer_addr(direct)
            .set_json(photo());
        let a = call(&w, req).await;
        assert_eq!(a.status.as_u16(), if i < 2 { 401 } else { 429 });
    }
}
