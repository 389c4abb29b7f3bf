//! The object-storage routes in process, over the in-memory adapters: the ticket's order of
//! checks and bodies, verification on attach (400, 422, 503 answers, with nothing recorded),
//! the verified object on the read routes, and the metrics.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::sync::Arc;

use actix_web::test::TestRequest;
use serde_json::{Value, json};
use support::http::call;
use support::{KEY, WO, World, world, world_with_storage};
use workorder_domain::in_memory::InMemoryObjectStore;
use workorder_domain::{MaxPhotoBytes, ObjectKey, ObjectPolicy, WorkOrderId, WorkOrderStatus};

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

fn storage(max: u64) -> (World, Arc<InMemoryObjectStore>) {
    let objects = Arc::new(InMemoryObjectStore::default());
    let policy = ObjectPolicy { max_bytes: MaxPhotoBytes::new(max).unwrap(), ..ObjectPolicy::default() };
    (world_with_storage(objects.clone(), policy), objects)
}

fn ticket_request(id: &str) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/v1/work-orders/{id}/photo-uploads"))
        .insert_header(("X-API-Key", KEY))
        .insert_header(("Content-Type", "application/json"))
}

fn attach_request(key: &str) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/v1/work-orders/{WO}/photos"))
        .insert_header(("X-API-Key", KEY))
        .insert_header(("Content-Type", "application/json"))
        .set_json(json!({
            "minioObjectKey": key,
            "cdnUrl": "https://cdn.example.com/p.jpg",
            "takenAt": "2026-04-15T12:00:00Z"
        }))
}

fn put(objects: &InMemoryObjectStore, key: &str, content_type: Option<&str>, bytes: &[u8]) {
    objects.put_object(&ObjectKey::parse(key).unwrap(), content_type, bytes);
}

#[actix_web::test]
async fn a_ticket_is_a_presigned_put_under_the_tenant_and_work_order_that_attaches_once_uploaded() {
    let (w, objects) = storage(1000);
    let a =
        call(&w, ticket_request(WO).set_json(json!({"contentType": "image/png", "contentLength": 16}))).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.body);
    let data = &a.body["data"];
    let key = data["minioObjectKey"].as_str().unwrap();
    let prefix = format!("acme/{}/", WO.to_lowercase());
    assert!(key.starts_with(&prefix) && key.ends_with(".png") && key.len() == prefix.len() + 26 + 4, "{key}");
    assert_eq!(data["method"], "PUT");
    assert_eq!(data["headers"], json!({"Content-Type": "image/png", "Content-Length": "16"}));
    assert!(data["expiresAt"].as_str().unwrap().ends_with('Z'));
    let headers: Vec<(String, String)> = data["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    objects.upload(data["uploadUrl"].as_str().unwrap(), &headers, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();

    let attached = call(&w, attach_request(key)).await;
    assert_eq!(attached.status.as_u16(), 201, "{}", attached.body);
    let location = attached.header("location").unwrap().to_owned();
    let read = call(&w, TestRequest::get().uri(&location).insert_header(("X-API-Key", KEY))).await;
    let object = &read.body["data"]["object"];
    assert_eq!(object["sizeBytes"], 16);
    assert_eq!(object["contentType"], "image/png");
    assert!(object["etag"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(object["sha256"], Value::Null);
    assert!(object["verifiedAt"].as_str().is_some());
    let list = call(
        &w,
        TestRequest::get().uri(&format!("/v1/work-orders/{WO}/photos")).insert_header(("X-API-Key", KEY)),
    )
    .await;
    assert_eq!(list.body["data"][0]["object"], *object);
}

#[actix_web::test]
async fn the_ticket_checks_run_401_501_then_path_then_body_then_404_and_409() {
    let plain = world();
    let no_key = TestRequest::post().uri(&format!("/v1/work-orders/{WO}/photo-uploads"));
    call(&plain, no_key).await.assert_error(401, "UNAUTHENTICATED", Some(("identity", "api-keys")));
    // Without object storage, even a bad path and body answer 501.
    call(&plain, ticket_request("nope").set_payload("{")).await.assert_error(
        501,
        "OBJECT_STORE_NOT_CONFIGURED",
        None,
    );

    let (w, _) = storage(1000);
    let a = call(&w, ticket_request("nope").set_payload("{")).await;
    a.assert_error(400, "INVALID_WORK_ORDER_ID", Some(("workorder", "work-orders")));
    let a = call(&w, ticket_request(WO).set_payload("{")).await;
    a.assert_error(400, "INVALID_BODY", Some(("storage", "uploads")));
    assert_eq!(a.detail_fields(), ["body"]);
    let other = "00000000-0000-4000-8000-000000000000";
    let a = call(&w, ticket_request(other).set_json(json!({"contentType": "image/gif"}))).await;
    a.assert_error(400, "INVALID_BODY", Some(("storage", "uploads")));
    let a = call(&w, ticket_request(other).set_json(json!({"contentType": "image/jpeg"}))).await;
    a.assert_error(404, "WORK_ORDER_NOT_FOUND", Some(("workorder", "work-orders")));
    w.repo.put_work_order(&"acme".parse().unwrap(), WorkOrderId::parse(WO).unwrap(), WorkOrderStatus::Closed);
    let a = call(&w, ticket_request(WO).set_json(json!({"contentType": "image/jpeg"}))).await;
    a.assert_error(409, "WORK_ORDER_CLOSED", Some(("workorder", "work-orders")));
}

#[actix_web::test]
async fn a_ticket_body_reports_every_bad_field_with_the_uploads_origin() {
    let (w, _) = storage(1000);
    let cases: [(Value, &[&str]); 7] = [
        (
            json!({"contentType": "text/plain", "contentLength": 0, "sha256": "xyz"}),
            &["contentType", "contentLength", "sha256"],
        ),
        (json!({"contentType": "image/jpeg", "contentLength": 1001}), &["contentLength"]),
        (json!({"contentType": "image/jpeg", "contentLength": -1}), &["contentLength"]),
        (json!({"contentType": "image/jpeg", "contentLength": 1.5}), &["contentLength"]),
        (json!({"contentType": 7, "sha256": "A".repeat(63)}), &["contentType", "sha256"]),
        (json!({}), &["contentType"]),
        (json!(["image/jpeg"]), &["body"]),
    ];
    for (body, fields) in cases {
        let a = call(&w, ticket_request(WO).set_json(&body)).await;
        a.assert_error(400, "INVALID_BODY", Some(("storage", "uploads")));
        assert_eq!(a.detail_fields(), fields, "{body}");
    }
    let ok =
        json!({"contentType": "IMAGE/JPEG", "contentLength": 1000, "sha256": "a".repeat(64), "extra": true});
    let a = call(&w, ticket_request(WO).set_json(&ok)).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.body);
    assert_eq!(a.body["data"]["headers"]["x-amz-checksum-sha256"], "a".repeat(64));
    let a =
        call(&w, ticket_request(WO).insert_header(("Content-Type", "text/plain")).set_payload("{}")).await;
    a.assert_error(415, "UNSUPPORTED_MEDIA_TYPE", None);
}

#[actix_web::test]
async fn an_attach_is_refused_for_a_key_outside_the_tenant_a_missing_object_and_one_that_is_no_photo() {
    let (w, objects) = storage(JPEG.len() as u64);
    put(&objects, "acme/text.jpg", Some("text/plain"), b"hello");
    put(&objects, "acme/png.jpg", Some("image/jpeg"), b"\x89PNG\r\n\x1a\n");
    let mut big = JPEG.to_vec();
    big.push(0);
    put(&objects, "acme/big.jpg", Some("image/jpeg"), &big);
    put(&objects, "globex/a.jpg", Some("image/jpeg"), JPEG);

    let a = call(&w, attach_request("globex/a.jpg")).await;
    a.assert_error(400, "INVALID_BODY", Some(("workorder", "photos")));
    assert_eq!(a.detail_fields(), ["minioObjectKey"]);
    call(&w, attach_request("acme/none.jpg")).await.assert_error(
        422,
        "PHOTO_OBJECT_NOT_FOUND",
        Some(("storage", "objects")),
    );
    for (key, fields) in
        [("acme/text.jpg", ["contentType"]), ("acme/png.jpg", ["content"]), ("acme/big.jpg", ["size"])]
    {
        let a = call(&w, attach_request(key)).await;
        a.assert_error(422, "PHOTO_OBJECT_REJECTED", Some(("storage", "objects")));
        assert_eq!(a.detail_fields(), fields, "{key}");
    }
    assert!(w.repo.photos(&"acme".parse().unwrap(), WorkOrderId::parse(WO).unwrap()).is_empty());
}

#[actix_web::test]
async fn a_store_that_is_down_answers_503_with_retry_after_and_the_next_try_records() {
    let (w, objects) = storage(1000);
    put(&objects, "acme/a.jpg", Some("image/jpeg"), JPEG);
    objects.set_unavailable(true);
    let a = call(&w, attach_request("acme/a.jpg")).await;
    a.assert_error(503, "SERVICE_UNAVAILABLE", None);
    assert!(a.header("retry-after").is_some());
    assert_eq!(
        call(&w, TestRequest::get().uri("/readyz")).await.status.as_u16(),
        200,
        "only the database decides readiness"
    );
    objects.set_unavailable(false);
    assert_eq!(call(&w, attach_request("acme/a.jpg")).await.status.as_u16(), 201);
    objects.remove(&ObjectKey::parse("acme/a.jpg").unwrap());
    assert_eq!(
        call(&w, attach_request("acme/a.jpg")).await.status.as_u16(),
        200,
        "a replay never looks at the object"
    );
}

#[actix_web::test]
async fn the_metrics_count_verifications_by_outcome_and_time_the_store() {
    let (w, objects) = storage(1000);
    put(&objects, "acme/a.jpg", Some("image/jpeg"), JPEG);
    put(&objects, "acme/t.jpg", Some("text/plain"), b"hi");
    for key in ["acme/a.jpg", "acme/t.jpg", "acme/none.jpg"] {
        call(&w, attach_request(key)).await;
    }
    objects.set_unavailable(true);
    call(&w, attach_request("acme/b.jpg")).await;
    let service = actix_web::test::init_service(workorder_http::app(w.state.clone())).await;
    let response =
        actix_web::test::call_service(&service, TestRequest::get().uri("/metrics").to_request()).await;
    let text = String::from_utf8(actix_web::test::read_body(response).await.to_vec()).unwrap();
    for line in [
        r#"workorder_photo_verifications_total{outcome="accepted"} 1"#,
        r#"workorder_photo_verifications_total{outcome="rejected"} 1"#,
        r#"workorder_photo_verifications_total{outcome="not_found"} 1"#,
        r#"workorder_object_store_request_duration_seconds_count{operation="describe",result="unavailable"} 1"#,
        r#"workorder_object_store_request_duration_seconds_count{operation="describe",result="not_found"} 1"#,
        r#"workorder_object_store_request_duration_seconds_count{operation="describe",result="ok"} 2"#,
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}

#[actix_web::test]
async fn with_a_cdn_base_a_photos_url_must_be_the_base_then_its_percent_encoded_key() {
    let policy = workorder_domain::AttachPolicy {
        cdn_base: Some(workorder_domain::CdnBaseUrl::parse("https://cdn.example.com/photos/").unwrap()),
        ..workorder_domain::AttachPolicy::default()
    };
    let repo = Arc::new(workorder_domain::in_memory::InMemoryWorkOrderRepo::default());
    let w = support::world_with(repo.clone(), repo, policy);
    let body = |url: &str| json!({"minioObjectKey": "acme/wo 1/é.jpg", "cdnUrl": url, "takenAt": "2026-04-15T12:00:00Z"});
    let request = |url: &str| {
        TestRequest::post()
            .uri(&format!("/v1/work-orders/{WO}/photos"))
            .insert_header(("X-API-Key", KEY))
            .insert_header(("Content-Type", "application/json"))
            .set_json(body(url))
    };
    let a = call(&w, request("https://cdn.example.com/photos/acme/wo%201/%C3%A9.jpg")).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.body);
    let a = call(&w, request("https://cdn.example.com/photos/acme/wo%201/%c3%a9.jpg")).await;
    a.assert_error(400, "INVALID_BODY", Some(("workorder", "photos")));
    assert_eq!(a.detail_fields(), ["cdnUrl"]);
}
