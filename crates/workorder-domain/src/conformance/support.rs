//! What the rules share: tenants, ids and photos to attach.

use time::macros::datetime;
use ulid::Ulid;

use super::Harness;
use crate::identity::{Principal, TenantId};
use crate::photo::{CdnUrl, NewPhoto, ObjectKey, PhotoId, Step, TakenAt};
use crate::work_order::WorkOrderId;

pub(crate) fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).expect("a tenant")
}

/// A caller of tenant `name`, with a key the store issued: a photo is attached by a key the
/// store knows, as the use case attaches it.
pub(crate) fn caller(h: &impl Harness, name: &str) -> Principal {
    h.issue_key(&tenant(name)).1
}

pub(crate) fn new_work_order_id() -> WorkOrderId {
    WorkOrderId::from_uuid(uuid::Uuid::new_v4())
}

/// A photo for `key` on the work order, with an instant that has microseconds and a step, so
/// that a store that rounds or trims shows it.
pub(crate) fn photo(by: &Principal, work_order_id: WorkOrderId, key: &str) -> NewPhoto {
    NewPhoto {
        tenant: by.tenant().clone(),
        work_order_id,
        photo_id: PhotoId::new(Ulid::generate()),
        object_key: ObjectKey::parse(key).expect("an object key"),
        cdn_url: CdnUrl::parse(&format!("https://cdn.example.com/{}?v=1&Sig=AbC%2F", url_path(key)))
            .expect("a CDN URL"),
        taken_at: TakenAt::from_instant(datetime!(2026-04-15 12:00:00.123456 UTC)).expect("an instant"),
        step: Some(Step::parse("avant réparation").expect("a step")),
        attached_by: by.key_id(),
        recorded_at: datetime!(2026-04-15 12:05:00.654321 UTC),
        object: None,
    }
}

/// A photo for `key` taken at `taken_at` (RFC 3339), without a step.
pub(crate) fn photo_taken_at(
    by: &Principal,
    work_order_id: WorkOrderId,
    key: &str,
    taken_at: &str,
) -> NewPhoto {
    NewPhoto {
        taken_at: TakenAt::parse(taken_at).expect("an instant"),
        step: None,
        ..photo(by, work_order_id, key)
    }
}

/// The key as a URL path: its ASCII letters, digits and `/`, the rest `-`.
fn url_path(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '/' { c } else { '-' }).collect()
}
