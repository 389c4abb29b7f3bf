//! The read side over HTTP, the OpenAPI document and the metrics, in process over the
//! in-memory adapters.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::sync::Arc;

use support::world;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use workorder_domain::in_memory::InMemoryWorkOrderRepo;
use workorder_domain::{TenantId, WorkOrderId};
use workorder_http::{AppState, app, openapi_json};

const WO: &str = "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0";

fn state() -> (AppState, Arc<InMemoryWorkOrderRepo>) {
    let world = world();
    world.repo.set_title(&TenantId::parse("acme").unwrap(), WorkOrderId::parse(WO).unwrap(), Some("Boiler"));
    (world.state, world.repo)
}

async fn send(state: &AppState, req: TestRequest) -> (StatusCode, Value, actix_web::http::header::HeaderMap) {
    let service = test::init_service(app(state.clone())).await;
    let response = test::call_service(&service, req.to_request()).await;
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = test::read_body(response).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
}

fn get(path: &str) -> TestRequest {
    TestRequest::get().uri(path).insert_header(("X-API-Key", "acme-key"))
}

async fn attach(state: &AppState, key: &str, taken_at: &str) -> String {
    let body = json!({"minioObjectKey": key, "cdnUrl": "https://cdn.example.com/x.jpg", "takenAt": taken_at, "step": "before"});
    let req = TestRequest::post()
        .uri(&format!("/v1/work-orders/{WO}/photos"))
        .insert_header(("X-API-Key", "acme-key"))
        .set_json(body);
    let (status, body, _) = send(state, req).await;
    assert_eq!(status, StatusCode::CREATED);
    body["data"]["photoId"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_work_order_shows_its_status_title_count_and_times() {
    let (state, _) = state();
    attach(&state, "a.jpg", "2026-04-15T12:00:00Z").await;
    let (status, body, _) = send(&state, get(&format!("/v1/work-orders/{}", WO.to_uppercase()))).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["data"];
    assert_eq!(
        (
            data["workOrderId"].as_str(),
            data["status"].as_str(),
            data["title"].as_str(),
            data["photoCount"].as_u64()
        ),
        (Some(WO), Some("IN_PROGRESS"), Some("Boiler"), Some(1))
    );
    for field in ["createdAt", "updatedAt"] {
        let text = data[field].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok(),
            "{text}"
        );
    }
}

#[actix_web::test]
async fn photos_are_paged_by_taken_at_with_an_opaque_cursor() {
    let (state, _) = state();
    let late = attach(&state, "late.jpg", "2026-04-15T12:00:02Z").await;
    let early = attach(&state, "early.jpg", "2026-04-15T12:00:01Z").await;
    let (status, page1, _) = send(&state, get(&format!("/v1/work-orders/{WO}/photos?limit=1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page1["data"][0]["photoId"], early.as_str());
    assert_eq!(page1["data"][0]["minioObjectKey"], "early.jpg");
    assert_eq!(page1["data"][0]["takenAt"], "2026-04-15T12:00:01Z");
    assert_eq!(page1["data"][0]["step"], "before");
    let cursor = page1["nextCursor"].as_str().unwrap();
    let (_, page2, _) =
        send(&state, get(&format!("/v1/work-orders/{WO}/photos?limit=1&cursor={cursor}"))).await;
    assert_eq!(page2["data"][0]["photoId"], late.as_str());
    assert!(page2.get("nextCursor").is_none(), "absent on the last page: {page2}");
}

#[actix_web::test]
async fn bad_limits_and_cursors_answer_400_invalid_query() {
    let (state, _) = state();
    for query in ["limit=0", "limit=201", "limit=x", "cursor=nope", "limit=5&limit=6", "limit=0&cursor=bad"] {
        let (status, body, _) = send(&state, get(&format!("/v1/work-orders/{WO}/photos?{query}"))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("INVALID_QUERY")),
            "{query}"
        );
        assert_eq!(body["origin"], json!({"boundedContext": "workorder", "module": "photos"}));
        assert!(!body["details"].as_array().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn the_location_of_an_attach_is_the_photo() {
    let (state, _) = state();
    let id = attach(&state, "a.jpg", "2026-04-15T12:00:00Z").await;
    let (status, body, _) = send(&state, get(&format!("/v1/work-orders/{WO}/photos/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["photoId"], id.as_str());
    assert_eq!(body["data"]["cdnUrl"], "https://cdn.example.com/x.jpg");
    let (status, body, _) =
        send(&state, get(&format!("/v1/work-orders/{WO}/photos/01M8ED3501T42800T2900E57BB"))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("PHOTO_NOT_FOUND")));
    let (status, body, _) = send(&state, get(&format!("/v1/work-orders/{WO}/photos/not-a-ulid"))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PHOTO_ID")));
}

#[actix_web::test]
async fn every_read_route_wants_a_key_and_hides_other_tenants() {
    let (state, _) = state();
    let id = attach(&state, "a.jpg", "2026-04-15T12:00:00Z").await;
    for path in [
        format!("/v1/work-orders/{WO}"),
        format!("/v1/work-orders/{WO}/photos"),
        format!("/v1/work-orders/{WO}/photos/{id}"),
    ] {
        let (status, body, _) = send(&state, TestRequest::get().uri(&path)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")),
            "{path}"
        );
        let (status, foreign, _) =
            send(&state, TestRequest::get().uri(&path).insert_header(("X-API-Key", "globex-key"))).await;
        assert_eq!(
            (status, foreign["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("WORK_ORDER_NOT_FOUND")),
            "{path}"
        );
        let missing = path.replace(WO, "00000000-0000-4000-8000-000000000000");
        let (_, absent, _) =
            send(&state, TestRequest::get().uri(&missing).insert_header(("X-API-Key", "globex-key"))).await;
        let strip = |mut v: Value| {
            v.as_object_mut().unwrap().remove("traceId");
            v
        };
        assert_eq!(strip(foreign), strip(absent), "{path}");
        let (status, body, _) = send(&state, get(&path.replace(WO, "nope"))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("INVALID_WORK_ORDER_ID")),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_openapi_document_is_served_and_matches_the_checked_in_copy() {
    let (state, _) = state();
    let service = test::init_service(app(state)).await;
    let response = test::call_service(&service, TestRequest::get().uri("/openapi.json").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let served = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert_eq!(served, openapi_json());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    if std::env::var_os("WORKORDER_BLESS").is_some() {
        std::fs::write(path, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == served,
        "docs/openapi.json is stale: run WORKORDER_BLESS=1 cargo test -p workorder-http --test read_side"
    );
}

#[actix_web::test]
async fn the_openapi_document_names_every_route_status_and_code() {
    let doc: Value = serde_json::from_str(&openapi_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["ApiKey"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A key from `workorder-http api-key create`; it names one tenant"})
    );
    let attach = &doc["paths"]["/v1/work-orders/{id}/photos"]["post"]["responses"];
    for (status, codes) in [
        ("201", vec![]),
        ("200", vec![]),
        ("400", vec!["INVALID_BODY", "INVALID_WORK_ORDER_ID"]),
        ("401", vec!["UNAUTHENTICATED"]),
        ("404", vec!["WORK_ORDER_NOT_FOUND"]),
        ("409", vec!["WORK_ORDER_CLOSED", "PHOTO_CONFLICT"]),
        ("413", vec!["PAYLOAD_TOO_LARGE"]),
        ("415", vec!["UNSUPPORTED_MEDIA_TYPE"]),
        ("500", vec!["INTERNAL_ERROR"]),
        ("503", vec!["SERVICE_UNAVAILABLE"]),
    ] {
        let response = &attach[status];
        assert!(response["headers"]["X-Trace-Id"].is_object(), "{status}");
        for code in codes {
            let example = &response["content"]["application/json"]["examples"][code]["value"];
            assert_eq!(example["code"], code);
            assert_eq!(example["status"].as_u64().unwrap().to_string(), status);
        }
    }
    for path in ["/v1/work-orders/{id}", "/v1/work-orders/{id}/photos/{photoId}", "/healthz", "/readyz"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let ready_head = &doc["paths"]["/readyz"]["head"]["responses"]["503"];
    assert!(
        ready_head["headers"]["Retry-After"].is_object() && ready_head["content"].is_null(),
        "{ready_head}"
    );
    for path in ["/healthz", "/readyz"] {
        assert!(
            doc["paths"][path]["head"]["responses"]["200"]["headers"]["X-Trace-Id"].is_object(),
            "{path}"
        );
    }
    assert!(
        doc["paths"]["/v1/work-orders/{id}/photos"]["get"]["responses"]["400"]["content"]["application/json"]
            ["examples"]["INVALID_QUERY"]
            .is_object()
    );
}

/// Each error response's `code` is an enum of exactly the codes its examples show.
#[test]
fn each_error_response_names_its_codes_as_an_enum() {
    let doc: Value = serde_json::from_str(&openapi_json()).unwrap();
    let mut checked = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let content = &response["content"]["application/json"];
                if !status.starts_with(['4', '5']) || content.is_null() {
                    continue;
                }
                let codes = &content["schema"]["allOf"][1]["properties"]["code"]["enum"];
                let examples: Vec<&String> = content["examples"].as_object().unwrap().keys().collect();
                let mut codes: Vec<&str> =
                    codes.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
                codes.sort_unstable();
                assert_eq!(codes, examples, "{status}");
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "{checked}");
    let conflict = &doc["paths"]["/v1/work-orders/{id}/photos"]["post"]["responses"]["409"];
    assert_eq!(
        conflict["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"],
        json!(["WORK_ORDER_CLOSED", "PHOTO_CONFLICT"])
    );
}

/// Accented letters or a French function word ("En service", "La photo") give French away.
fn looks_french(text: &str) -> bool {
    const WORDS: [&str; 14] =
        ["le", "la", "les", "un", "une", "des", "du", "de", "en", "est", "et", "sur", "pas", "aux"];
    !text.is_ascii()
        || text
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// The document speaks one language: English for what it says of operations, responses and
/// headers; only the error examples carry the contract's French `message` values.
#[test]
fn the_openapi_document_describes_in_english() {
    let doc: Value = serde_json::from_str(&openapi_json()).unwrap();
    let mut french = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let mut texts = vec![&operation["summary"], &operation["description"]];
            for response in operation["responses"].as_object().unwrap().values() {
                texts.push(&response["description"]);
                texts.extend(
                    response["headers"].as_object().into_iter().flatten().map(|(_, h)| &h["description"]),
                );
            }
            french.extend(
                texts
                    .into_iter()
                    .filter_map(Value::as_str)
                    .filter(|t| looks_french(t))
                    .map(|t| format!("{method} {path}: {t}")),
            );
        }
    }
    assert!(french.is_empty(), "{french:#?}");
}

#[actix_web::test]
async fn metrics_count_requests_attaches_auth_failures_and_latency() {
    let (state, _) = state();
    attach(&state, "a.jpg", "2026-04-15T12:00:00Z").await;
    attach(&state, "b.jpg", "2026-04-15T12:00:00Z").await;
    send(&state, TestRequest::get().uri(&format!("/v1/work-orders/{WO}"))).await;
    send(&state, TestRequest::get().uri("/nowhere")).await;
    let (status, _, headers) = send(
        &state,
        TestRequest::get().uri("/metrics").insert_header(("Accept", "application/openmetrics-text")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/openmetrics-text")
    );
    let service = test::init_service(app(state.clone())).await;
    let text = String::from_utf8(
        test::read_body(test::call_service(&service, TestRequest::get().uri("/metrics").to_request()).await)
            .await
            .to_vec(),
    )
    .unwrap();
    for line in [
        r#"workorder_http_requests_total{method="POST",route="/v1/work-orders/{id}/photos",status="201"} 2"#,
        r#"workorder_http_requests_total{method="GET",route="/v1/work-orders/{id}",status="401"} 1"#,
        r#"workorder_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"workorder_photos_attached_total{outcome="created"} 2"#,
        r#"workorder_auth_failures_total 1"#,
        r#"workorder_http_request_duration_seconds_count{route="/v1/work-orders/{id}/photos"} 2"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}
