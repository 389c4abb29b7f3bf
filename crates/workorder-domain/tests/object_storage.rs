//! Upload tickets and verified attaches against the in-memory adapters: every 400 and 422
//! of the contract's object-storage section, the store deciding before the object is read,
//! and an object store that is down.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::sync::Arc;

use support::{NOW, WO, World, block_on, id, world};
use workorder_domain::in_memory::{InMemoryObjectStore, SequentialPhotoIds};
use workorder_domain::{
    AttachPhoto, AttachPhotoOutcome, AttachPolicy, CdnBaseUrl, Disposition, Error, Field, IssueUploadTicket,
    MaxPhotoBytes, ObjectKey, ObjectPolicy, PhotoContentType, PhotoFields, Principal, UploadFields,
    WorkOrderStatus,
};

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

struct Storage {
    w: World,
    objects: Arc<InMemoryObjectStore>,
    attach: AttachPhoto,
    tickets: IssueUploadTicket,
}

/// The world with object storage of at most `max` bytes.
fn storage(max: u64) -> Storage {
    let w = world();
    let objects = Arc::new(InMemoryObjectStore::with_clock(w.clock.clone()));
    let policy = ObjectPolicy { max_bytes: MaxPhotoBytes::new(max).unwrap(), ..ObjectPolicy::default() };
    let attach = AttachPhoto::new(
        w.repo.clone(),
        w.clock.clone(),
        Arc::new(SequentialPhotoIds::default()),
        AttachPolicy::default(),
    )
    .with_object_storage(objects.clone(), policy.clone());
    let tickets = IssueUploadTicket::new(
        objects.clone(),
        w.repo.clone(),
        w.clock.clone(),
        Arc::new(SequentialPhotoIds::default()),
        policy,
    );
    Storage { w, objects, attach, tickets }
}

fn key(raw: &str) -> ObjectKey {
    ObjectKey::parse(raw).unwrap()
}

fn attach(s: &Storage, by: &Principal, object_key: &str) -> Result<AttachPhotoOutcome, Error> {
    let fields = PhotoFields {
        minio_object_key: Some(object_key),
        cdn_url: Some("https://cdn.example.com/p.jpg"),
        taken_at: Some("2026-04-15T11:00:00Z"),
        step: None,
    };
    let command = s.attach.command_for(by, id(WO), fields)?;
    block_on(s.attach.attach(by, command))
}

fn rejected_fields(answer: Result<AttachPhotoOutcome, Error>) -> Vec<Field> {
    match answer {
        Err(Error::PhotoObjectRejected(reasons)) => reasons.iter().map(|r| r.field()).collect(),
        other => panic!("expected PHOTO_OBJECT_REJECTED, got {other:?}"),
    }
}

fn invalid_fields(answer: Result<impl std::fmt::Debug, Error>) -> Vec<Field> {
    match answer {
        Err(Error::InvalidPhoto(fields) | Error::InvalidUpload(fields)) => {
            fields.iter().map(|r| r.field()).collect()
        }
        other => panic!("expected INVALID_BODY, got {other:?}"),
    }
}

#[test]
fn a_ticket_names_a_fresh_key_under_the_tenant_and_work_order_and_an_upload_through_it_attaches() {
    let s = storage(1000);
    let fields = UploadFields {
        content_type: Some("image/jpeg"),
        content_length: Some(JPEG.len() as u64),
        sha256: None,
    };
    let command = s.tickets.command(fields).unwrap();
    let ticket = block_on(s.tickets.issue(&s.w.acme, id(WO), command)).unwrap();
    let prefix = format!("acme/{}/", WO.to_lowercase());
    let name = ticket.object_key.as_str().strip_prefix(&prefix).unwrap();
    assert!(name.ends_with(".jpg") && ulid::Ulid::from_string(&name[..26]).is_ok(), "{name}");
    assert_eq!(ticket.expires_at, NOW + time::Duration::seconds(900));
    assert!(ticket.headers.contains(&("Content-Type".into(), "image/jpeg".into())));
    assert!(ticket.headers.contains(&("Content-Length".into(), JPEG.len().to_string())));

    s.objects.upload(&ticket.upload_url, &ticket.headers, JPEG).unwrap();
    let outcome = attach(&s, &s.w.acme, ticket.object_key.as_str()).unwrap();
    assert_eq!(outcome.disposition, Disposition::Created);
    let photo = block_on(s.w.get.get(&s.w.acme, id(WO), &outcome.photo_id.to_string())).unwrap();
    let object = photo.object.unwrap();
    assert_eq!((object.size_bytes, object.content_type), (JPEG.len() as u64, PhotoContentType::Jpeg));
    assert_eq!(object.verified_at, NOW);
}

#[test]
fn a_ticket_request_lists_every_bad_field() {
    let s = storage(1000);
    let bad = UploadFields { content_type: Some("image/gif"), content_length: Some(0), sha256: Some("abc") };
    assert_eq!(
        invalid_fields(s.tickets.command(bad)),
        [Field::ContentType, Field::ContentLength, Field::Sha256]
    );
    let over = UploadFields { content_type: Some("image/png"), content_length: Some(1001), sha256: None };
    assert_eq!(invalid_fields(s.tickets.command(over)), [Field::ContentLength]);
    let missing = UploadFields::default();
    assert_eq!(invalid_fields(s.tickets.command(missing)), [Field::ContentType]);
    let at_max = UploadFields {
        content_type: Some("IMAGE/PNG"),
        content_length: Some(1000),
        sha256: Some(&"aB".repeat(32)),
    };
    assert!(s.tickets.command(at_max).is_ok());
    let origin = Error::InvalidUpload(vec![]).origin().unwrap();
    assert_eq!((origin.bounded_context, origin.module), ("storage", "uploads"));
}

#[test]
fn a_ticket_for_a_missing_foreign_or_closed_work_order_is_refused() {
    let s = storage(1000);
    let command = s
        .tickets
        .command(UploadFields { content_type: Some("image/webp"), ..UploadFields::default() })
        .unwrap();
    let answer = block_on(s.tickets.issue(&s.w.globex, id(WO), command));
    assert!(matches!(answer, Err(Error::WorkOrderNotFound)), "{answer:?}");
    s.w.repo.put_work_order(s.w.acme.tenant(), id(WO), WorkOrderStatus::Cancelled);
    let answer = block_on(s.tickets.issue(&s.w.acme, id(WO), command));
    assert!(matches!(answer, Err(Error::WorkOrderClosed(WorkOrderStatus::Cancelled))), "{answer:?}");
}

#[test]
fn a_key_outside_the_tenants_prefix_is_a_bad_body_even_for_a_replay() {
    let s = storage(1000);
    s.objects.put_object(&key("acme/a.jpg"), Some("image/jpeg"), JPEG);
    attach(&s, &s.w.acme, "acme/a.jpg").unwrap();
    assert_eq!(invalid_fields(attach(&s, &s.w.acme, "globex/a.jpg")), [Field::MinioObjectKey]);
    assert_eq!(invalid_fields(attach(&s, &s.w.acme, "acme-other/a.jpg")), [Field::MinioObjectKey]);
    // Without object storage the same key is accepted: the rule is storage's.
    let plain = world();
    let command = plain.service.command_for(
        &plain.acme,
        id(WO),
        PhotoFields {
            minio_object_key: Some("globex/a.jpg"),
            cdn_url: Some("https://cdn.example.com/p.jpg"),
            taken_at: Some("2026-04-15T11:00:00Z"),
            step: None,
        },
    );
    assert!(command.is_ok());
}

#[test]
fn a_missing_object_is_not_found_and_records_nothing() {
    let s = storage(1000);
    assert!(matches!(attach(&s, &s.w.acme, "acme/none.jpg"), Err(Error::PhotoObjectNotFound)));
    assert!(s.w.repo.photos(s.w.acme.tenant(), s.w.wo).is_empty());
}

#[test]
fn a_text_file_a_png_declared_as_jpeg_and_an_object_over_the_maximum_are_rejected() {
    let s = storage(JPEG.len() as u64);
    s.objects.put_object(&key("acme/text.jpg"), Some("text/plain"), b"hello");
    s.objects.put_object(&key("acme/text-as-jpeg.jpg"), Some("image/jpeg"), b"hello");
    s.objects.put_object(&key("acme/png.jpg"), Some("image/jpeg"), PNG);
    let mut over = JPEG.to_vec();
    over.push(0);
    s.objects.put_object(&key("acme/big.jpg"), Some("image/jpeg"), &over);
    s.objects.put_object(&key("acme/untyped.jpg"), None, JPEG);
    assert_eq!(rejected_fields(attach(&s, &s.w.acme, "acme/text.jpg")), [Field::ContentType]);
    assert_eq!(rejected_fields(attach(&s, &s.w.acme, "acme/text-as-jpeg.jpg")), [Field::Content]);
    assert_eq!(rejected_fields(attach(&s, &s.w.acme, "acme/png.jpg")), [Field::Size, Field::Content]);
    assert_eq!(rejected_fields(attach(&s, &s.w.acme, "acme/big.jpg")), [Field::Size]);
    assert_eq!(rejected_fields(attach(&s, &s.w.acme, "acme/untyped.jpg")), [Field::ContentType]);
    assert!(s.w.repo.photos(s.w.acme.tenant(), s.w.wo).is_empty(), "a rejection records nothing");
    // Exactly the maximum is accepted.
    s.objects.put_object(&key("acme/max.jpg"), Some("image/jpeg"), JPEG);
    assert_eq!(attach(&s, &s.w.acme, "acme/max.jpg").unwrap().disposition, Disposition::Created);
}

#[test]
fn the_store_decides_first_so_a_replay_after_the_object_was_removed_is_still_a_replay() {
    let s = storage(1000);
    s.objects.put_object(&key("acme/a.jpg"), Some("image/jpeg"), JPEG);
    let first = attach(&s, &s.w.acme, "acme/a.jpg").unwrap();
    s.objects.remove(&key("acme/a.jpg"));
    let again = attach(&s, &s.w.acme, "acme/a.jpg").unwrap();
    assert_eq!((again.disposition, again.photo_id), (Disposition::AlreadyAttached, first.photo_id));
    // Even with the object store down, a replay, a closed work order and a missing one are
    // answered by the database alone.
    s.objects.set_unavailable(true);
    assert_eq!(attach(&s, &s.w.acme, "acme/a.jpg").unwrap().disposition, Disposition::AlreadyAttached);
    assert!(matches!(attach(&s, &s.w.globex, "globex/a.jpg"), Err(Error::WorkOrderNotFound)));
    s.w.repo.put_work_order(s.w.acme.tenant(), id(WO), WorkOrderStatus::Closed);
    assert!(matches!(attach(&s, &s.w.acme, "acme/none.jpg"), Err(Error::WorkOrderClosed(_))));
}

#[test]
fn a_store_that_is_down_is_unavailable_records_nothing_and_the_next_try_records() {
    let s = storage(1000);
    s.objects.put_object(&key("acme/a.jpg"), Some("image/jpeg"), JPEG);
    s.objects.set_unavailable(true);
    assert!(matches!(attach(&s, &s.w.acme, "acme/a.jpg"), Err(Error::Unavailable(_))));
    assert!(s.w.repo.photos(s.w.acme.tenant(), s.w.wo).is_empty());
    s.objects.set_unavailable(false);
    assert_eq!(attach(&s, &s.w.acme, "acme/a.jpg").unwrap().disposition, Disposition::Created);
}

#[test]
fn with_a_cdn_base_a_photos_url_must_be_the_base_then_its_encoded_key() {
    let policy = AttachPolicy {
        cdn_base: Some(CdnBaseUrl::parse("https://cdn.example.com/p/").unwrap()),
        ..AttachPolicy::default()
    };
    let w = support::world_with(policy);
    let fields = |url| PhotoFields {
        minio_object_key: Some("acme/wo 1/a.jpg"),
        cdn_url: Some(url),
        taken_at: Some("2026-04-15T11:00:00Z"),
        step: None,
    };
    assert!(w.service.command(id(WO), fields("https://CDN.example.com/p/acme/wo%201/a.jpg")).is_ok());
    assert_eq!(
        invalid_fields(w.service.command(id(WO), fields("https://cdn.example.com/p/acme/wo%201/b.jpg"))),
        [Field::CdnUrl]
    );
    assert_eq!(
        invalid_fields(w.service.command(id(WO), fields("https://cdn.example.com/p/acme/wo+1/a.jpg"))),
        [Field::CdnUrl]
    );
}
