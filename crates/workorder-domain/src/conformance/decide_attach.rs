//! The rules of [`WorkOrderRepo::decide_attach`](crate::WorkOrderRepo::decide_attach), and
//! of the verified object an attach records.

use super::Harness;
use super::support::{caller, new_work_order_id, photo};
use crate::attachment::{AttachDecision, Disposition};
use crate::error::Error;
use crate::object_storage::{PhotoContentType, Sha256Digest, VerifiedObject};
use crate::work_order::WorkOrderStatus;

fn answer_of(decision: AttachDecision) -> Result<Disposition, String> {
    match decision {
        AttachDecision::Record(a) => Ok(a.disposition),
        AttachDecision::Answer(Ok(a)) => Ok(a.disposition),
        AttachDecision::Answer(Err(e)) => Err(e.code().to_owned()),
    }
}

/// `decide_attach` answers what `attach_photo` would (record, retry, not found, closed,
/// conflict) and records nothing.
pub fn deciding_an_attach_answers_as_the_attach_would_and_records_nothing(h: &impl Harness) {
    let acme = caller(h, "acme");
    let (open, closed) = (new_work_order_id(), new_work_order_id());
    h.seed_work_order(acme.tenant(), open, WorkOrderStatus::InProgress);
    h.seed_work_order(acme.tenant(), closed, WorkOrderStatus::Closed);
    let repo = h.repo();
    let decide =
        |p: &crate::NewPhoto| answer_of(h.block_on(repo.decide_attach(p)).expect("the store decides"));

    let new = photo(&acme, open, "acme/new.jpg");
    assert_eq!(decide(&new), Ok(Disposition::Created), "a new photo must be judged to record");
    let listed = h.block_on(h.reader().photos(acme.tenant(), open, None, 10)).expect("the photos read back");
    assert!(listed.is_empty(), "decide_attach must record nothing: {listed:?}");

    h.block_on(repo.attach_photo(new.clone())).expect("a new photo is recorded");
    let retry = crate::NewPhoto { photo_id: photo(&acme, open, "x").photo_id, ..new.clone() };
    assert_eq!(decide(&retry), Ok(Disposition::AlreadyAttached), "the same photo again is a retry");
    let other = crate::NewPhoto { step: None, ..retry };
    assert_eq!(decide(&other), Err("PHOTO_CONFLICT".into()), "other data under the key is a conflict");
    assert_eq!(
        decide(&photo(&acme, closed, "acme/c.jpg")),
        Err("WORK_ORDER_CLOSED".into()),
        "a closed work order refuses a new photo"
    );
    let globex = caller(h, "globex");
    assert_eq!(
        decide(&photo(&globex, open, "globex/a.jpg")),
        Err("WORK_ORDER_NOT_FOUND".into()),
        "another tenant's work order is not found"
    );
}

/// What was verified of a photo's object is read back exactly, and a photo recorded without
/// verification reads back without one.
pub fn a_verified_object_is_read_back_with_its_photo(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let object = VerifiedObject {
        size_bytes: 26_214_400,
        content_type: PhotoContentType::Heic,
        etag: "9bb58f26192e4ba00f01e2e7b136bbd8-3".to_owned(),
        sha256: Some(Sha256Digest::from_bytes([0xAB; 32])),
        verified_at: time::macros::datetime!(2026-04-15 12:05:00.654321 UTC),
    };
    let verified = crate::NewPhoto { object: Some(object.clone()), ..photo(&acme, wo, "acme/v.heic") };
    let plain = photo(&acme, wo, "acme/p.jpg");
    let without_digest = crate::NewPhoto {
        object: Some(VerifiedObject { sha256: None, ..object.clone() }),
        ..photo(&acme, wo, "acme/n.heic")
    };
    for p in [&verified, &plain, &without_digest] {
        h.block_on(h.repo().attach_photo(p.clone())).expect("a new photo is recorded");
        let read = h.block_on(h.reader().photo(acme.tenant(), wo, p.photo_id)).expect("the photo reads back");
        assert_eq!(read.object, p.object, "the verified object must read back as recorded");
    }
    let listed = h.block_on(h.reader().photos(acme.tenant(), wo, None, 10)).expect("the photos read back");
    assert_eq!(listed.iter().filter(|p| p.object.is_some()).count(), 2, "the list shows it too");
    let down = h.unreachable();
    let answer = h.block_on(down.repo.decide_attach(&plain));
    assert!(matches!(answer, Err(Error::Unavailable(_))), "an unreachable store is Unavailable: {answer:?}");
}
