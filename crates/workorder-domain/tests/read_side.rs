//! The read side against the in-memory adapters: ViewWorkOrder, ListPhotos, GetPhoto.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use support::{WO, World, block_on, id, world};
use workorder_domain::{Error, Field, PhotoFields, WorkOrderId, WorkOrderStatus};

fn add(w: &World, key: &str, taken_at: &str) -> String {
    let fields = PhotoFields {
        minio_object_key: Some(key),
        cdn_url: Some("https://cdn.example.com/p.jpg"),
        taken_at: Some(taken_at),
        step: None,
    };
    let command = w.service.command(id(WO), fields).unwrap();
    block_on(w.service.attach(&w.acme, command)).unwrap().photo_id.to_string()
}

#[test]
fn photos_come_by_taken_at_then_id_a_page_at_a_time() {
    let w = world();
    // Recorded out of order; two taken at the same instant.
    let c = add(&w, "c", "2026-04-15T12:00:03Z");
    let a = add(&w, "a", "2026-04-15T12:00:01Z");
    let b1 = add(&w, "b1", "2026-04-15T12:00:02Z");
    let b2 = add(&w, "b2", "2026-04-15T12:00:02Z");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = block_on(w.list.list(&w.acme, id(WO), Some("2"), cursor.as_deref())).unwrap();
        pages += 1;
        seen.extend(page.photos.iter().map(|p| p.photo_id.to_string()));
        match page.next {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, [a, b1, b2, c]);
    assert_eq!(pages, 2, "the last full page has no next cursor when nothing follows");
}

#[test]
fn the_default_page_is_fifty_and_an_empty_work_order_lists_nothing() {
    let w = world();
    let empty = block_on(w.list.list(&w.acme, id(WO), None, None)).unwrap();
    assert!(empty.photos.is_empty() && empty.next.is_none());
    for i in 0..51 {
        add(&w, &format!("k{i}"), "2026-04-15T12:00:00Z");
    }
    let page = block_on(w.list.list(&w.acme, id(WO), None, None)).unwrap();
    assert_eq!(page.photos.len(), 50);
    assert!(page.next.is_some());
}

#[test]
fn bad_limits_and_cursors_are_all_reported() {
    let w = world();
    let error = block_on(w.list.list(&w.acme, id(WO), Some("0"), Some("garbage"))).unwrap_err();
    assert!(matches!(error, Error::InvalidQuery(_)));
    let fields: Vec<Field> = error.field_errors().iter().map(|e| e.field()).collect();
    assert_eq!(fields, [Field::Limit, Field::Cursor]);
    assert!(matches!(WorkOrderId::parse("nope").map_err(Error::from), Err(Error::InvalidWorkOrderId)));
}

#[test]
fn another_tenant_sees_neither_the_work_order_nor_its_photos() {
    let w = world();
    let photo = add(&w, "a", "2026-04-15T12:00:00Z");
    assert!(matches!(block_on(w.list.list(&w.globex, id(WO), None, None)), Err(Error::WorkOrderNotFound)));
    assert!(matches!(block_on(w.view.view(&w.globex, id(WO))), Err(Error::WorkOrderNotFound)));
    assert!(matches!(block_on(w.get.get(&w.globex, id(WO), &photo)), Err(Error::WorkOrderNotFound)));
}

#[test]
fn a_work_order_shows_its_status_title_and_photo_count() {
    let w = world();
    let id = WorkOrderId::parse(WO).unwrap();
    w.repo.set_title(w.acme.tenant(), id, Some("Boiler"));
    add(&w, "a", "2026-04-15T12:00:00Z");
    add(&w, "b", "2026-04-15T12:00:00Z");
    let view = block_on(w.view.view(&w.acme, WorkOrderId::parse(&WO.to_uppercase()).unwrap())).unwrap();
    assert_eq!(
        (view.id, view.status, view.title.as_deref(), view.photo_count),
        (id, WorkOrderStatus::InProgress, Some("Boiler"), 2)
    );
    assert!(view.created_at <= view.updated_at);
}

#[test]
fn a_photo_is_found_on_its_work_order_only() {
    let w = world();
    let photo = add(&w, "a", "2026-04-15T12:00:00Z");
    let found = block_on(w.get.get(&w.acme, id(WO), &photo)).unwrap();
    assert_eq!((found.photo_id.to_string(), found.object_key.as_str()), (photo.clone(), "a"));
    let other = "00000000-0000-4000-8000-000000000000";
    w.repo.put_work_order(w.acme.tenant(), WorkOrderId::parse(other).unwrap(), WorkOrderStatus::Planned);
    assert!(matches!(block_on(w.get.get(&w.acme, id(other), &photo)), Err(Error::PhotoNotFound)));
    assert!(matches!(
        block_on(w.get.get(&w.acme, id(WO), "01M8ED3501T42800T2900E57BB")),
        Err(Error::PhotoNotFound)
    ));
    assert!(matches!(block_on(w.get.get(&w.acme, id(WO), "not-a-ulid")), Err(Error::InvalidPhotoId)));
}
