//! The rules of [`WorkOrderReader`](crate::WorkOrderReader).

use super::Harness;
use super::support::{caller, new_work_order_id, photo, photo_taken_at};
use crate::error::Error;
use crate::paging::PhotoCursor;
use crate::photo::PhotoId;
use crate::work_order::WorkOrderStatus;

/// A work order reads back with its status and photo count; another tenant does not find it.
pub fn a_work_order_counts_its_photos_and_hides_from_other_tenants(h: &impl Harness) {
    let (acme, globex) = (caller(h, "acme"), caller(h, "globex"));
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::OnHold);
    for key in ["a.jpg", "b.jpg"] {
        h.block_on(h.repo().attach_photo(photo(&acme, wo, key))).expect("a new photo is recorded");
    }
    let view = h.block_on(h.reader().work_order(acme.tenant(), wo)).expect("the work order reads back");
    assert_eq!((view.id, view.status, view.photo_count), (wo, WorkOrderStatus::OnHold, 2));
    let foreign = h.block_on(h.reader().work_order(globex.tenant(), wo));
    assert!(matches!(foreign, Err(Error::WorkOrderNotFound)), "another tenant must not find it: {foreign:?}");
    let foreign = h.block_on(h.reader().photos(globex.tenant(), wo, None, 10));
    assert!(
        matches!(foreign, Err(Error::WorkOrderNotFound)),
        "another tenant must not list its photos: {foreign:?}"
    );
    let missing = h.block_on(h.reader().photos(acme.tenant(), new_work_order_id(), None, 10));
    assert!(
        matches!(missing, Err(Error::WorkOrderNotFound)),
        "a missing work order is not an empty list: {missing:?}"
    );
    let empty = new_work_order_id();
    h.seed_work_order(acme.tenant(), empty, WorkOrderStatus::Planned);
    let none =
        h.block_on(h.reader().photos(acme.tenant(), empty, None, 10)).expect("an empty work order lists");
    assert!(none.is_empty(), "a work order without photos lists none");
}

/// Photos come ordered by `takenAt`, then by id; after a cursor, only those strictly after it.
pub fn photos_come_by_taken_at_then_id_strictly_after_the_cursor(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let times =
        ["2026-04-15T12:00:03Z", "2026-04-15T12:00:01Z", "2026-04-15T12:00:02Z", "2026-04-15T12:00:02Z"];
    for (i, taken_at) in times.into_iter().enumerate() {
        let photo = photo_taken_at(&acme, wo, &format!("p{i}.jpg"), taken_at);
        h.block_on(h.repo().attach_photo(photo)).expect("a new photo is recorded");
    }
    let all = h.block_on(h.reader().photos(acme.tenant(), wo, None, 10)).expect("the photos read back");
    let order: Vec<PhotoCursor> = all.iter().map(PhotoCursor::after).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "photos must come by takenAt, then by id");
    assert_eq!(all.len(), 4);
    for (i, cursor) in order.iter().enumerate() {
        let after = h
            .block_on(h.reader().photos(acme.tenant(), wo, Some(*cursor), 10))
            .expect("a page after a cursor");
        let ids: Vec<PhotoId> = after.iter().map(|p| p.photo_id).collect();
        let expected: Vec<PhotoId> = all[i + 1..].iter().map(|p| p.photo_id).collect();
        assert_eq!(ids, expected, "after a cursor come only the photos strictly after it");
    }
}

/// A page holds at most the limit the use case asks for (one more than a page, to know
/// whether another follows).
pub fn a_page_holds_at_most_the_limit_asked(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    for i in 0..5 {
        h.block_on(h.repo().attach_photo(photo(&acme, wo, &format!("p{i}.jpg"))))
            .expect("a new photo is recorded");
    }
    for limit in [1, 3, 5, 6] {
        let page = h.block_on(h.reader().photos(acme.tenant(), wo, None, limit)).expect("a page");
        assert_eq!(page.len(), limit.min(5), "a page of limit {limit}");
    }
}

/// A photo is found on its work order, not on another work order of the tenant, not by
/// another tenant.
pub fn a_photo_is_found_only_on_its_work_order_in_its_tenant(h: &impl Harness) {
    let (acme, globex) = (caller(h, "acme"), caller(h, "globex"));
    let (wo, other) = (new_work_order_id(), new_work_order_id());
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    h.seed_work_order(acme.tenant(), other, WorkOrderStatus::InProgress);
    let photo = photo(&acme, wo, "a.jpg");
    h.block_on(h.repo().attach_photo(photo.clone())).expect("a new photo is recorded");
    let found = h.block_on(h.reader().photo(acme.tenant(), wo, photo.photo_id)).expect("the photo is found");
    assert_eq!(found.photo_id, photo.photo_id);
    let elsewhere = h.block_on(h.reader().photo(acme.tenant(), other, photo.photo_id));
    assert!(matches!(elsewhere, Err(Error::PhotoNotFound)), "on another work order: {elsewhere:?}");
    let foreign = h.block_on(h.reader().photo(globex.tenant(), wo, photo.photo_id));
    assert!(matches!(foreign, Err(Error::WorkOrderNotFound)), "by another tenant: {foreign:?}");
    let unknown = h.block_on(h.reader().photo(acme.tenant(), wo, PhotoId::new(ulid::Ulid::generate())));
    assert!(matches!(unknown, Err(Error::PhotoNotFound)), "an unknown photo: {unknown:?}");
}

/// `takenAt` and the recording instant read back to the microsecond.
pub fn instants_round_trip_to_the_microsecond(h: &impl Harness) {
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    h.seed_work_order(acme.tenant(), wo, WorkOrderStatus::InProgress);
    let photo = photo_taken_at(&acme, wo, "a.jpg", "2026-04-15T14:00:00.000001+02:00");
    h.block_on(h.repo().attach_photo(photo.clone())).expect("a new photo is recorded");
    let read = h.block_on(h.reader().photo(acme.tenant(), wo, photo.photo_id)).expect("the photo reads back");
    assert_eq!(read.taken_at, photo.taken_at, "takenAt must round-trip to the microsecond");
    assert_eq!(
        read.created_at, photo.recorded_at,
        "the recording instant must round-trip to the microsecond"
    );
}
