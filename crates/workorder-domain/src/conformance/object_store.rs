//! The rules of [`ObjectStore`](crate::ObjectStore): describing objects and presigning
//! uploads that the store itself holds to what was signed.

use std::time::Duration;

use time::OffsetDateTime;
use ulid::Ulid;

use super::ObjectStoreHarness;
use crate::error::Error;
use crate::object_storage::{PhotoContentType, PresignedUpload, Sha256Digest, StoredObject, UploadRequest};
use crate::photo::ObjectKey;

/// The first bytes of a JPEG, then filler: 100 bytes.
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..96u8).map(|i| i.wrapping_mul(7)));
    bytes
}

/// SHA-256 of [`jpeg`], computed once outside and written here, so the suite needs no
/// hash function.
const JPEG_SHA256: &str = "6cfa8751ae89c5d2a287a34a53b30722f4d9ad3388e84b0755829377d718618c";

fn fresh_key(suffix: &str) -> ObjectKey {
    ObjectKey::parse(&format!("acme/{}/{suffix}", Ulid::generate())).expect("a key")
}

fn request(key: &ObjectKey, length: Option<u64>, sha256: Option<Sha256Digest>) -> UploadRequest {
    UploadRequest {
        key: key.clone(),
        content_type: PhotoContentType::Jpeg,
        content_length: length,
        sha256,
        signed_at: crate::instant::truncate_to_micros(OffsetDateTime::now_utc()),
        lifetime: Duration::from_secs(900),
    }
}

fn presign(h: &impl ObjectStoreHarness, request: &UploadRequest) -> PresignedUpload {
    h.block_on(h.store().presign_upload(request)).expect("the store presigns an upload")
}

fn describe(h: &impl ObjectStoreHarness, key: &ObjectKey, first: usize) -> Option<StoredObject> {
    h.block_on(h.store().describe(key, first)).expect("the store describes an object")
}

/// Uploads `body` through a fresh ticket for `key` with its own headers.
fn upload(h: &impl ObjectStoreHarness, key: &ObjectKey, body: &[u8]) {
    let ticket = presign(h, &request(key, Some(body.len() as u64), None));
    h.upload(&ticket, &ticket.headers, body).expect("an upload with the signed headers is taken");
}

/// No object under a key is `Ok(None)`, not an error.
pub fn a_missing_object_is_described_as_none(h: &impl ObjectStoreHarness) {
    assert_eq!(describe(h, &fresh_key("none.jpg"), 64), None, "a missing object must be None");
}

/// An object uploaded through a ticket is described by its size, the signed content type, an
/// entity tag and its first bytes.
pub fn an_uploaded_object_is_described_by_what_was_put(h: &impl ObjectStoreHarness) {
    let key = fresh_key("a.jpg");
    upload(h, &key, &jpeg());
    let stored = describe(h, &key, 64).expect("an uploaded object is described");
    assert_eq!(stored.size_bytes, 100, "the size must be the body's");
    assert_eq!(stored.content_type.as_deref(), Some("image/jpeg"), "the type must be the signed one");
    assert!(!stored.etag.is_empty() && !stored.etag.contains('"'), "an ETag, unquoted: {:?}", stored.etag);
    assert_eq!(stored.first_bytes, jpeg()[..64], "the first bytes must be the body's");
}

/// At most the bytes asked for come back, and all of an object shorter than that.
pub fn first_bytes_are_at_most_those_asked(h: &impl ObjectStoreHarness) {
    let key = fresh_key("short.jpg");
    upload(h, &key, &jpeg()[..10]);
    assert_eq!(describe(h, &key, 64).expect("described").first_bytes, jpeg()[..10], "all of a short object");
    assert_eq!(describe(h, &key, 3).expect("described").first_bytes, [0xFF, 0xD8, 0xFF], "only those asked");
}

/// A ticket's headers are `Content-Type` always, `Content-Length` when a length was given, a
/// digest header when a digest was given; it expires `lifetime` after `signed_at`.
pub fn a_ticket_lists_its_signed_headers_and_expires_after_its_lifetime(h: &impl ObjectStoreHarness) {
    let key = fresh_key("h.jpg");
    let digest = Sha256Digest::parse_hex(JPEG_SHA256).expect("a digest");
    let names = |t: &PresignedUpload| {
        let mut n: Vec<String> = t.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        n.sort();
        n
    };
    let plain_request = request(&key, None, None);
    let plain = presign(h, &plain_request);
    assert_eq!(names(&plain), ["content-type"], "only Content-Type without length or digest");
    assert!(plain.headers.iter().any(|(_, v)| v == "image/jpeg"), "Content-Type must be the upload's");
    assert_eq!(plain.expires_at, plain_request.signed_at + plain_request.lifetime, "the ticket's lifetime");
    let full = presign(h, &request(&key, Some(100), Some(digest)));
    let full_names = names(&full);
    assert_eq!(full_names.len(), 3, "Content-Type, Content-Length and a digest header: {full_names:?}");
    assert!(full_names.iter().any(|n| n == "content-length"), "Content-Length when given");
    assert!(full.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("content-length") && v == "100"));
}

/// A PUT with another content type or another length than signed is refused and stores
/// nothing.
pub fn an_upload_with_other_headers_than_the_signed_ones_is_refused(h: &impl ObjectStoreHarness) {
    let key = fresh_key("o.jpg");
    let ticket = presign(h, &request(&key, Some(100), None));
    let png = [
        ("Content-Type".to_owned(), "image/png".to_owned()),
        ("Content-Length".to_owned(), "100".to_owned()),
    ];
    assert!(h.upload(&ticket, &png, &jpeg()).is_err(), "another content type than signed must be refused");
    let short = [
        ("Content-Type".to_owned(), "image/jpeg".to_owned()),
        ("Content-Length".to_owned(), "99".to_owned()),
    ];
    assert!(h.upload(&ticket, &short, &jpeg()[..99]).is_err(), "another length than signed must be refused");
    assert_eq!(describe(h, &key, 4), None, "a refused upload must store nothing");
}

/// With a digest, a body of another digest is refused; the right body is taken and its
/// digest described.
pub fn an_upload_with_another_digest_is_refused(h: &impl ObjectStoreHarness) {
    let key = fresh_key("d.jpg");
    let digest = Sha256Digest::parse_hex(JPEG_SHA256).expect("a digest");
    let ticket = presign(h, &request(&key, None, Some(digest)));
    let mut tampered = jpeg();
    tampered[50] ^= 1;
    assert!(h.upload(&ticket, &ticket.headers, &tampered).is_err(), "another digest must be refused");
    // Whether the refused body is left behind is the store's business (s3s-fs 0.14 leaves it
    // without its content type, which verification refuses); S3 and MinIO store nothing.
    h.upload(&ticket, &ticket.headers, &jpeg()).expect("the promised body is taken");
    let stored = describe(h, &key, 4).expect("described");
    assert_eq!(stored.sha256, Some(digest), "the store must describe the digest it checked");
}

/// A ticket signed long enough ago that it has expired is refused.
pub fn an_expired_ticket_is_refused(h: &impl ObjectStoreHarness) {
    let key = fresh_key("e.jpg");
    let old = UploadRequest {
        signed_at: OffsetDateTime::now_utc() - time::Duration::hours(2),
        lifetime: Duration::from_secs(60),
        ..request(&key, None, None)
    };
    let ticket = presign(h, &old);
    assert!(h.upload(&ticket, &ticket.headers, &jpeg()).is_err(), "an expired ticket must be refused");
    assert_eq!(describe(h, &key, 4), None, "a refused upload must store nothing");
}

/// Keys with spaces, `+`, `%` and non-ASCII letters name the same object on the way in and out.
pub fn keys_are_kept_byte_for_byte(h: &impl ObjectStoreHarness) {
    let key = fresh_key("Été 2026/a+b %20 (1).jpg");
    upload(h, &key, &jpeg());
    assert!(describe(h, &key, 4).is_some(), "the object must be found under the same key");
    let near = ObjectKey::parse(&key.as_str().replace("%20", " ")).expect("a key");
    assert_eq!(describe(h, &near, 4), None, "a key must not be decoded or normalised");
}

/// An unreachable store is `Unavailable` for both calls that need it.
pub fn an_unreachable_store_is_unavailable(h: &impl ObjectStoreHarness) {
    let down = h.unreachable();
    let answer = h.block_on(down.describe(&fresh_key("u.jpg"), 4));
    assert!(matches!(answer, Err(Error::Unavailable(_))), "describe must be Unavailable: {answer:?}");
}
