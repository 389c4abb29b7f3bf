//! The rules of [`WorkOrderRepo::attach_photo`](crate::WorkOrderRepo::attach_photo).

use std::sync::{Arc, Barrier};

use super::Harness;
use super::support::{caller, new_work_order_id, photo};
use crate::attachment::Disposition;
use crate::error::Error;
use crate::photo::{CdnUrl, Step, TakenAt};
use crate::work_order::WorkOrderStatus;

/// A new photo is `Created` with the work order's status, and the read side gives back its
/// key, URL, instant and step exactly as sent.
pub fn a_new_photo_is_recorded_with_its_data_byte_for_byte(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let photo = photo(&acme, wo, "acme/wo/Été 2026/front+1 (2).jpg");
    let attached = h.block_on(h.repo().attach_photo(photo.clone())).expect("a new photo is recorded");
    assert_eq!(attached.disposition, Disposition::Created, "a new photo must be Created");
    assert_eq!(attached.photo_id, photo.photo_id, "a new photo must keep the id it was given");
    assert_eq!(attached.status, WorkOrderStatus::InProgress, "the status must be the work order's");
    let read = h.block_on(h.reader().photo(acme.tenant(), wo, photo.photo_id)).expect("the photo reads back");
    assert_eq!(read.object_key, photo.object_key, "the key must be stored byte for byte");
    assert_eq!(read.cdn_url, photo.cdn_url, "the CDN URL must be stored byte for byte");
    assert_eq!(read.taken_at, photo.taken_at, "takenAt must round-trip to the microsecond");
    assert_eq!(read.step, photo.step, "the step must be stored as given");
}

/// The same key with the same data again is `AlreadyAttached` under the first photo's id, and
/// records nothing.
pub fn an_identical_retry_is_already_attached_under_the_first_id(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let first = photo(&acme, wo, "a.jpg");
    h.block_on(h.repo().attach_photo(first.clone())).expect("a new photo is recorded");
    let mut retry = photo(&acme, wo, "a.jpg");
    retry.recorded_at = first.recorded_at + time::Duration::seconds(3);
    let again = h.block_on(h.repo().attach_photo(retry)).expect("a retry is answered");
    assert_eq!(again.disposition, Disposition::AlreadyAttached, "a retry must be AlreadyAttached");
    assert_eq!(again.photo_id, first.photo_id, "a retry must answer the first photo's id");
    let listed = h.block_on(h.reader().photos(acme.tenant(), wo, None, 10)).expect("the photos read back");
    assert_eq!(listed.len(), 1, "a retry must record nothing");
}

/// The same key with another URL, instant or step is a conflict, and records nothing.
pub fn other_data_under_the_same_key_is_a_conflict(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let first = photo(&acme, wo, "a.jpg");
    h.block_on(h.repo().attach_photo(first.clone())).expect("a new photo is recorded");
    let others = [
        crate::NewPhoto {
            cdn_url: CdnUrl::parse("https://cdn.example.com/other.jpg").expect("a URL"),
            ..first.clone()
        },
        crate::NewPhoto {
            taken_at: TakenAt::from_instant(first.taken_at.instant() + time::Duration::microseconds(1))
                .expect("an instant"),
            ..first.clone()
        },
        crate::NewPhoto { step: Some(Step::parse("après").expect("a step")), ..first.clone() },
        crate::NewPhoto { step: None, ..first.clone() },
    ];
    for other in others {
        let answer = h.block_on(h.repo().attach_photo(other.clone()));
        assert!(
            matches!(answer, Err(Error::PhotoConflict)),
            "other data under a key must conflict: {other:?} gave {answer:?}"
        );
    }
    let listed = h.block_on(h.reader().photos(acme.tenant(), wo, None, 10)).expect("the photos read back");
    assert_eq!(listed.len(), 1, "a conflict must record nothing");
}

/// A closed or cancelled work order refuses a new photo, but a retry of a photo recorded
/// before is still answered as the first call was: the replay is judged before the status.
pub fn a_work_order_that_refuses_photos_still_answers_retries(h: &impl Harness) {
    let acme = caller(h, "acme");
    for status in WorkOrderStatus::refusing_photos() {
        let wo = new_work_order_id();
        h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
        let first = photo(&acme, wo, "a.jpg");
        h.block_on(h.repo().attach_photo(first.clone())).expect("a new photo is recorded");
        h.set_status(acme.tenant(), wo, status);
        let retry = h.block_on(h.repo().attach_photo(crate::NewPhoto {
            photo_id: crate::PhotoId::new(ulid::Ulid::generate()),
            ..first.clone()
        }));
        let retry =
            retry.unwrap_or_else(|e| panic!("a retry on a {status} work order must be answered, not {e:?}"));
        assert_eq!(
            (retry.disposition, retry.photo_id, retry.status),
            (Disposition::AlreadyAttached, first.photo_id, status),
            "a retry on a {status} work order"
        );
        let other = h.block_on(h.repo().attach_photo(photo(&acme, wo, "b.jpg")));
        assert!(
            matches!(other, Err(Error::WorkOrderClosed(s)) if s == status),
            "a new photo on a {status} work order: {other:?}"
        );
        let conflicting = h.block_on(h.repo().attach_photo(crate::NewPhoto { step: None, ..first.clone() }));
        assert!(
            matches!(conflicting, Err(Error::WorkOrderClosed(s)) if s == status),
            "other data on a {status} work order must be WorkOrderClosed: {conflicting:?}"
        );
    }
}

/// A new photo is recorded in exactly the statuses that accept photos.
pub fn every_status_takes_a_new_photo_exactly_when_it_accepts_photos(h: &impl Harness) {
    let acme = caller(h, "acme");
    for status in WorkOrderStatus::ALL {
        let wo = new_work_order_id();
        h.seed_work_order(acme.tenant(), wo, status);
        let answer = h.block_on(h.repo().attach_photo(photo(&acme, wo, "a.jpg")));
        if status.accepts_photos() {
            let attached =
                answer.unwrap_or_else(|e| panic!("a {status} work order must take a photo, not {e:?}"));
            assert_eq!((attached.disposition, attached.status), (Disposition::Created, status));
        } else {
            assert!(
                matches!(answer, Err(Error::WorkOrderClosed(s)) if s == status),
                "a {status} work order: {answer:?}"
            );
        }
    }
}

/// A work order that does not exist, or exists only in another tenant, is not found, the same
/// way; the same id may exist in two tenants, each seeing its own.
pub fn a_missing_or_foreign_work_order_is_not_found(h: &impl Harness) {
    let (acme, globex) = (caller(h, "acme"), caller(h, "globex"));
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let foreign = h.block_on(h.repo().attach_photo(photo(&globex, wo, "a.jpg")));
    assert!(
        matches!(foreign, Err(Error::WorkOrderNotFound)),
        "another tenant's work order must be not found: {foreign:?}"
    );
    let missing = h.block_on(h.repo().attach_photo(photo(&acme, new_work_order_id(), "a.jpg")));
    assert!(
        matches!(missing, Err(Error::WorkOrderNotFound)),
        "a missing work order must be not found: {missing:?}"
    );
    h.seed_work_order(globex.tenant(), wo, WorkOrderStatus::Closed);
    let theirs = h.block_on(h.repo().attach_photo(photo(&globex, wo, "a.jpg")));
    assert!(
        matches!(theirs, Err(Error::WorkOrderClosed(_))),
        "each tenant sees its own work order: {theirs:?}"
    );
    let ours =
        h.block_on(h.repo().attach_photo(photo(&acme, wo, "a.jpg"))).expect("our work order takes the photo");
    assert_eq!(ours.disposition, Disposition::Created);
}

/// Sixteen identical attaches at once record one photo, and all answer its id.
pub fn racing_identical_attaches_record_one_photo(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let template = photo(&acme, wo, "race.jpg");
    let answers = race(h, 16, |_| crate::NewPhoto {
        photo_id: crate::PhotoId::new(ulid::Ulid::generate()),
        ..template.clone()
    });
    let created = answers.iter().filter(|a| a.disposition == Disposition::Created).count();
    assert_eq!(created, 1, "racing identical attaches must record exactly one photo");
    assert!(
        answers.iter().all(|a| a.photo_id == answers[0].photo_id),
        "every racer must answer the one photo's id"
    );
    let listed = h.block_on(h.reader().photos(acme.tenant(), wo, None, 100)).expect("the photos read back");
    assert_eq!(listed.len(), 1, "racing identical attaches must store one row");
}

/// Sixteen attaches of distinct keys at once all record.
pub fn racing_attaches_of_distinct_keys_all_record(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let answers = race(h, 16, |i| photo(&acme, wo, &format!("k{i}.jpg")));
    assert!(
        answers.iter().all(|a| a.disposition == Disposition::Created),
        "distinct keys must all be Created"
    );
    let listed = h.block_on(h.reader().photos(acme.tenant(), wo, None, 100)).expect("the photos read back");
    assert_eq!(listed.len(), 16, "distinct keys must all be stored");
}

/// Attaches `n` photos from `n` threads released at once.
fn race(
    h: &impl Harness,
    n: usize,
    photo: impl Fn(usize) -> crate::NewPhoto + Sync,
) -> Vec<crate::Attachment> {
    let start = Arc::new(Barrier::new(n));
    std::thread::scope(|scope| {
        let racers: Vec<_> = (0..n)
            .map(|i| {
                let (start, repo, photo) = (start.clone(), h.repo(), photo(i));
                scope.spawn(move || {
                    start.wait();
                    h.block_on(repo.attach_photo(photo))
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|racer| racer.join().expect("a racer panicked").expect("a racing attach must succeed"))
            .collect()
    })
}
