//! `GET /v1/events` in process over the in-memory adapters: the event's JSON, the cursor, the
//! errors.

mod support;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use support::{GLOBEX_KEY, KEY, WO, world};
use workorder_http::{AppState, app};

async fn send(state: &AppState, req: TestRequest) -> (StatusCode, Value) {
    let service = test::init_service(app(state.clone())).await;
    let response = test::call_service(&service, req.to_request()).await;
    let status = response.status();
    let bytes = test::read_body(response).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn events(query: &str, key: &str) -> TestRequest {
    TestRequest::get().uri(&format!("/v1/events{query}")).insert_header(("X-API-Key", key))
}

async fn attach(state: &AppState, key: &str, step: Value) -> Value {
    let body = json!({"minioObjectKey": key, "cdnUrl": "https://cdn.example.com/x.jpg",
        "takenAt": "2026-04-15T14:00:00.5+02:00", "step": step});
    let req = TestRequest::post()
        .uri(&format!("/v1/work-orders/{WO}/photos"))
        .insert_header(("X-API-Key", KEY))
        .set_json(body);
    let (status, body) = send(state, req).await;
    assert!(status.is_success(), "{status} {body}");
    body
}

#[actix_web::test]
async fn an_attached_photo_is_in_the_feed_as_the_contract_writes_an_event() {
    let state = world().state;
    let (status, empty) = send(&state, events("", KEY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty, json!({"data": [], "nextCursor": null, "hasMore": false}));

    let created = attach(&state, "acme/a.jpg", json!(null)).await;
    attach(&state, "acme/a.jpg", json!(null)).await; // a replay: no event
    attach(&state, "acme/b.jpg", json!("after")).await;
    let (status, page) = send(&state, events("?limit=1", KEY)).await;
    assert_eq!(status, StatusCode::OK);
    let photo_id = created["data"]["photoId"].as_str().unwrap();
    let event = &page["data"][0];
    assert_eq!(event["id"], json!(photo_id));
    assert_eq!(event["type"], json!("photo.attached"));
    assert!(event["occurredAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        event["data"],
        json!({"workOrderId": WO.to_lowercase(), "photoId": photo_id, "minioObjectKey": "acme/a.jpg",
            "cdnUrl": "https://cdn.example.com/x.jpg", "takenAt": "2026-04-15T12:00:00.5Z", "step": null})
    );
    assert_eq!(page["hasMore"], json!(true));
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();

    let (_, next) = send(&state, events(&format!("?after={cursor}"), KEY)).await;
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
    assert_eq!(next["data"][0]["data"]["step"], json!("after"));
    assert_eq!(next["hasMore"], json!(false));
    let end = next["nextCursor"].as_str().unwrap().to_owned();
    let (_, empty) = send(&state, events(&format!("?after={end}&limit=200"), KEY)).await;
    assert_eq!(empty, json!({"data": [], "nextCursor": end, "hasMore": false}));

    let (status, foreign) = send(&state, events(&format!("?after={cursor}"), GLOBEX_KEY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(foreign["data"], json!([]), "another tenant's cursor shows none of acme's events");
}

#[actix_web::test]
async fn a_bad_limit_or_cursor_is_invalid_query_from_the_events_module() {
    let state = world().state;
    for query in [
        "?limit=0",
        "?limit=201",
        "?limit=x",
        "?after=nope",
        "?after=e-1",
        "?after=e1&after=e2",
        "?limit=%FF",
    ] {
        let (status, body) = send(&state, events(query, KEY)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], json!("INVALID_QUERY"), "{query}");
        assert_eq!(body["origin"], json!({"boundedContext": "workorder", "module": "events"}), "{query}");
    }
}

#[actix_web::test]
async fn the_feed_needs_a_key() {
    let state = world().state;
    let (status, body) = send(&state, TestRequest::get().uri("/v1/events")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("UNAUTHENTICATED"));
    let (status, _) = send(&state, events("?limit=0", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "401 comes before 400");
}
