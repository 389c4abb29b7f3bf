//! The AttachPhoto use case against the in-memory adapters: every rule, every error, and the
//! races the repository port promises to survive.

mod support;

use std::sync::{Arc, Barrier};
use std::thread;

use support::{NOW, WO, World, block_on, id, world, world_with};

use time::Duration;
use workorder_domain::in_memory::{InMemoryApiKeyVerifier, InMemoryWorkOrderRepo};
use workorder_domain::{
    ApiKeyId, ApiKeySecret, ApiKeyVerifier, AttachPhoto, AttachPolicy, CdnHostPolicy, Disposition, Error,
    Field, PhotoFields, Principal, TenantId, UlidPhotoIds, WorkOrderId, WorkOrderStatus,
};

fn fields(key: &str) -> PhotoFields<'_> {
    PhotoFields {
        minio_object_key: Some(key),
        cdn_url: Some("https://cdn.example.com/p.jpg"),
        taken_at: Some("2026-04-15T11:00:00Z"),
        step: Some("before"),
    }
}

fn attach(
    w: &World,
    principal: &Principal,
    f: PhotoFields<'_>,
) -> Result<workorder_domain::AttachPhotoOutcome, Error> {
    let command = w.service.command(id(WO), f)?;
    block_on(w.service.attach(principal, command))
}

#[test]
fn a_valid_photo_is_created_with_the_work_orders_status() {
    let w = world();
    let outcome = attach(&w, &w.acme, fields("a.jpg")).unwrap();
    assert_eq!(outcome.disposition, Disposition::Created);
    assert_eq!(outcome.status, WorkOrderStatus::InProgress);
    assert_eq!(outcome.work_order_id.to_string(), WO.to_lowercase());
    let photos = w.repo.photos(w.acme.tenant(), w.wo);
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].photo_id, outcome.photo_id);
    assert_eq!(photos[0].attached_by, w.acme.key_id());
    assert_eq!(photos[0].recorded_at, NOW);
}

#[test]
fn the_same_photo_again_is_already_attached_with_the_same_id() {
    let w = world();
    let first = attach(&w, &w.acme, fields("a.jpg")).unwrap();
    let mut same_instant = fields("a.jpg");
    same_instant.taken_at = Some("2026-04-15T13:00:00+02:00");
    same_instant.step = Some("  before ");
    let again = attach(&w, &w.acme, same_instant).unwrap();
    assert_eq!(again.disposition, Disposition::AlreadyAttached);
    assert_eq!(again.photo_id, first.photo_id);
    assert_eq!(w.repo.photos(w.acme.tenant(), w.wo).len(), 1);
}

#[test]
fn the_same_key_with_other_data_is_a_conflict() {
    let w = world();
    attach(&w, &w.acme, fields("a.jpg")).unwrap();
    let variants: [fn(&mut PhotoFields<'static>); 4] = [
        |f| f.cdn_url = Some("https://cdn.example.com/other.jpg"),
        |f| f.taken_at = Some("2026-04-15T11:00:00.000001Z"),
        |f| f.step = Some("after"),
        |f| f.step = None,
    ];
    for change in variants {
        let mut f = fields("a.jpg");
        change(&mut f);
        assert!(matches!(attach(&w, &w.acme, f), Err(Error::PhotoConflict)));
    }
    assert_eq!(w.repo.photos(w.acme.tenant(), w.wo).len(), 1);
}

#[test]
fn photos_are_accepted_until_the_work_order_is_closed_or_cancelled() {
    let w = world();
    for (i, status) in WorkOrderStatus::ALL.into_iter().enumerate() {
        w.repo.put_work_order(w.acme.tenant(), w.wo, status);
        let key = format!("{i}.jpg");
        let result = attach(&w, &w.acme, fields(&key));
        match status {
            WorkOrderStatus::Closed | WorkOrderStatus::Cancelled => {
                assert!(matches!(result, Err(Error::WorkOrderClosed(s)) if s == status), "{status}")
            }
            _ => assert_eq!(result.unwrap().status, status),
        }
    }
}

#[test]
fn a_retry_after_closing_answers_already_attached_but_a_conflict_answers_closed() {
    let w = world();
    let first = attach(&w, &w.acme, fields("a.jpg")).unwrap();
    w.repo.put_work_order(w.acme.tenant(), w.wo, WorkOrderStatus::Closed);
    let again = attach(&w, &w.acme, fields("a.jpg")).unwrap();
    assert_eq!((again.photo_id, again.disposition), (first.photo_id, Disposition::AlreadyAttached));
    assert_eq!(again.status, WorkOrderStatus::Closed);
    let mut other = fields("a.jpg");
    other.step = Some("after");
    assert!(matches!(attach(&w, &w.acme, other), Err(Error::WorkOrderClosed(WorkOrderStatus::Closed))));
}

#[test]
fn another_tenants_work_order_is_not_found_like_a_missing_one() {
    let w = world();
    let other_tenant = attach(&w, &w.globex, fields("a.jpg")).unwrap_err();
    let missing = {
        let command = w.service.command(id("00000000-0000-0000-0000-000000000000"), fields("a.jpg")).unwrap();
        block_on(w.service.attach(&w.acme, command)).unwrap_err()
    };
    assert!(matches!(other_tenant, Error::WorkOrderNotFound));
    assert_eq!((other_tenant.code(), other_tenant.message()), (missing.code(), missing.message()));
    assert!(w.repo.photos(w.acme.tenant(), w.wo).is_empty());
}

#[test]
fn a_bad_work_order_id_is_reported_before_the_body() {
    let w = world();
    let _ = w;
    let error = WorkOrderId::parse("nope").map_err(Error::from).unwrap_err();
    assert!(matches!(error, Error::InvalidWorkOrderId));
}

#[test]
fn every_bad_field_is_reported_not_only_the_first() {
    let w = world();
    let error = w
        .service
        .command(
            id(WO),
            PhotoFields {
                minio_object_key: Some("/abs"),
                cdn_url: Some("ftp://x"),
                taken_at: Some("yesterday"),
                step: Some("   "),
            },
        )
        .unwrap_err();
    let bad: Vec<Field> = error.field_errors().iter().map(|e| e.field()).collect();
    assert_eq!(bad, [Field::MinioObjectKey, Field::CdnUrl, Field::TakenAt, Field::Step]);
    assert_eq!(error.code(), "INVALID_BODY");
}

#[test]
fn missing_required_fields_are_each_reported_and_step_may_be_absent() {
    let w = world();
    let error = w.service.command(id(WO), PhotoFields::default()).unwrap_err();
    let bad: Vec<(Field, &str)> = error.field_errors().iter().map(|e| (e.field(), e.message())).collect();
    assert_eq!(
        bad,
        [
            (Field::MinioObjectKey, "champ requis"),
            (Field::CdnUrl, "champ requis"),
            (Field::TakenAt, "champ requis")
        ]
    );
    let mut no_step = fields("a.jpg");
    no_step.step = None;
    assert_eq!(w.service.command(id(WO), no_step).unwrap().step(), None);
}

#[test]
fn taken_at_may_be_up_to_the_skew_in_the_future_and_no_further() {
    let w = world();
    let cases = [
        ("2026-04-15T12:05:00Z", true),
        ("2026-04-15T14:05:00+02:00", true),
        ("2026-04-15T12:05:00.000001Z", false),
        ("2026-04-15T12:06:00Z", false),
        ("2099-01-01T00:00:00Z", false),
    ];
    for (taken_at, accepted) in cases {
        let mut f = fields("a.jpg");
        f.taken_at = Some(taken_at);
        let result = w.service.command(id(WO), f);
        assert_eq!(result.is_ok(), accepted, "{taken_at}");
        if let Err(error) = result {
            assert_eq!(error.field_errors()[0].field(), Field::TakenAt);
        }
    }
}

#[test]
fn the_skew_is_configurable_and_checked_again_at_attach_time() {
    let w = world_with(AttachPolicy { max_clock_skew: Duration::seconds(10), ..AttachPolicy::default() });
    let mut f = fields("a.jpg");
    f.taken_at = Some("2026-04-15T12:00:10Z");
    let command = w.service.command(id(WO), f).unwrap();
    w.clock.set(NOW - Duration::minutes(1));
    let error = block_on(w.service.attach(&w.acme, command)).unwrap_err();
    assert_eq!(error.field_errors()[0].field(), Field::TakenAt);
}

#[test]
fn the_cdn_host_allow_list_is_case_insensitive_and_enforced() {
    let policy = AttachPolicy {
        cdn_hosts: CdnHostPolicy::only(["CDN.example.com", "bücher.example"]).unwrap(),
        ..AttachPolicy::default()
    };
    let w = world_with(policy);
    for (url, accepted) in [
        ("https://cdn.EXAMPLE.com/p.jpg", true),
        ("https://xn--bcher-kva.example/p.jpg", true),
        ("https://BÜCHER.example/p.jpg", true),
        ("https://evil.example.com/p.jpg", false),
        ("https://cdn.example.com.evil.com/p.jpg", false),
    ] {
        let mut f = fields("a.jpg");
        f.cdn_url = Some(url);
        let result = w.service.command(id(WO), f);
        assert_eq!(result.is_ok(), accepted, "{url}");
        if let Err(error) = result {
            assert_eq!(error.field_errors()[0].field(), Field::CdnUrl);
        }
    }
}

#[test]
fn an_allow_list_refuses_entries_that_are_not_hosts() {
    for bad in
        ["", "https://cdn.example.com", "cdn.example.com/path", "cdn.example.com:443", "u@cdn.example.com"]
    {
        assert!(CdnHostPolicy::only([bad]).is_err(), "{bad:?}");
    }
    assert!(CdnHostPolicy::only(["[::1]", "cdn.example.com"]).is_ok());
}

#[test]
fn an_unavailable_store_is_reported_as_unavailable() {
    let w = world();
    w.repo.set_unavailable(true);
    let error = attach(&w, &w.acme, fields("a.jpg")).unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)));
    assert!(block_on(workorder_domain::WorkOrderRepo::ping(w.repo.as_ref())).is_err());
    assert!(matches!(block_on(w.service.ready()), Err(Error::Unavailable(_))));
    w.repo.set_unavailable(false);
    assert!(attach(&w, &w.acme, fields("a.jpg")).is_ok());
}

#[test]
fn racing_identical_attaches_create_one_photo_and_all_share_its_id() {
    const N: usize = 32;
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    let service = AttachPhoto::new(
        repo.clone(),
        Arc::new(workorder_domain::SystemClock),
        Arc::new(UlidPhotoIds),
        AttachPolicy::default(),
    );
    let acme = Principal::new(TenantId::parse("acme").unwrap(), ApiKeyId::new(ulid::Ulid(1)));
    let wo = WorkOrderId::parse(WO).unwrap();
    repo.put_work_order(acme.tenant(), wo, WorkOrderStatus::Planned);
    let barrier = Arc::new(Barrier::new(N));
    let outcomes: Vec<_> = (0..N)
        .map(|_| {
            let (service, acme, barrier) = (service.clone(), acme.clone(), barrier.clone());
            thread::spawn(move || {
                let command = service.command(id(WO), fields("race.jpg")).unwrap();
                barrier.wait();
                block_on(service.attach(&acme, command)).unwrap()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let created = outcomes.iter().filter(|o| o.disposition == Disposition::Created).count();
    assert_eq!(created, 1);
    assert!(outcomes.iter().all(|o| o.photo_id == outcomes[0].photo_id));
    assert_eq!(repo.photos(acme.tenant(), wo).len(), 1);
}

#[test]
fn racing_distinct_keys_all_succeed() {
    const N: usize = 32;
    let w = world();
    let barrier = Arc::new(Barrier::new(N));
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let (service, acme, barrier) = (w.service.clone(), w.acme.clone(), barrier.clone());
            thread::spawn(move || {
                let key = format!("k{i}.jpg");
                let command = service.command(id(WO), fields(&key)).unwrap();
                barrier.wait();
                block_on(service.attach(&acme, command)).unwrap().disposition
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), Disposition::Created);
    }
    assert_eq!(w.repo.photos(w.acme.tenant(), w.wo).len(), N);
}

#[test]
fn the_in_memory_verifier_refuses_unknown_and_revoked_keys() {
    let verifier = InMemoryApiKeyVerifier::default();
    let principal = Principal::new(TenantId::parse("acme").unwrap(), ApiKeyId::new(ulid::Ulid(7)));
    verifier.add_key("secret-1", principal.clone());
    let known = ApiKeySecret::new("secret-1").unwrap();
    assert_eq!(block_on(verifier.verify(&known)).unwrap(), principal);
    let unknown = ApiKeySecret::new("secret-2").unwrap();
    assert!(matches!(block_on(verifier.verify(&unknown)), Err(Error::Unauthenticated)));
    verifier.revoke(principal.key_id());
    assert!(matches!(block_on(verifier.verify(&known)), Err(Error::Unauthenticated)));
}

#[test]
fn a_body_as_sent_is_judged_with_wrong_types_in_place_of_their_rules_in_field_order() {
    use workorder_domain::{Error, Field, FieldInput, PhotoInput};
    let w = world();
    let input = PhotoInput {
        minio_object_key: FieldInput::WrongType,
        cdn_url: FieldInput::Text("not a url"),
        taken_at: FieldInput::Absent,
        step: FieldInput::Null,
    };
    match w.service.command_from_input(None, id(WO), input) {
        Err(Error::InvalidPhoto(errors)) => {
            let fields: Vec<Field> = errors.iter().map(|e| e.field()).collect();
            assert_eq!(fields, [Field::MinioObjectKey, Field::CdnUrl, Field::TakenAt]);
            assert_eq!(
                errors[0].message(),
                FieldInput::WRONG_TYPE,
                "the type, not the rule of an absent key"
            );
        }
        other => panic!("{other:?}"),
    }
    let valid = PhotoInput {
        minio_object_key: FieldInput::Text("acme/wo/a.jpg"),
        cdn_url: FieldInput::Text("https://cdn.example.com/a.jpg"),
        taken_at: FieldInput::Text("2026-04-15T11:00:00Z"),
        step: FieldInput::Null,
    };
    assert!(w.service.command_from_input(None, id(WO), valid).is_ok());
}
