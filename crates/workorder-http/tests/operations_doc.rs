//! The worked example of docs/operations.md ("What an integrator does to verify a
//! signature") is true: the service signs it so, and so does the event JSON the service sends.

use workorder_http::webhook_signature::{format_secret, sign};

fn field<'a>(doc: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}:");
    doc.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(str::trim)
        .unwrap_or_else(|| panic!("docs/operations.md has no `{name}:` line"))
}

#[test]
fn the_worked_signature_example_of_the_operations_guide_is_what_the_service_signs() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md"))
        .expect("docs/operations.md");
    let secret: Vec<u8> = (0..32).collect();
    assert_eq!(field(&doc, "secret"), format_secret(&secret));
    let (id, timestamp, body) =
        (field(&doc, "webhook-id"), field(&doc, "webhook-timestamp"), field(&doc, "body"));
    let timestamp: i64 = timestamp.parse().expect("Unix seconds");
    assert_eq!(field(&doc, "webhook-signature"), sign(&secret, id, timestamp, body.as_bytes()));
    let event: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
    assert_eq!(event["id"], id);
    assert_eq!(event["type"], "photo.attached");
}
