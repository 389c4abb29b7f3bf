//! The AttachPhoto use case with in-memory ports: the time the domain adds to a request
//! (checking the fields, the policy, the id, the atomic insert), target at most 5 µs.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use workorder_domain::in_memory::{InMemoryWorkOrderRepo, block_on};
use workorder_domain::{
    ApiKeyId, AttachPhoto, AttachPolicy, PhotoFields, Principal, SystemClock, TenantId, UlidPhotoIds,
    WorkOrderId, WorkOrderStatus,
};

const WO: &str = "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0";

fn attach(c: &mut Criterion) {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    let tenant = TenantId::parse("acme").expect("a tenant");
    repo.put_work_order(&tenant, WorkOrderId::parse(WO).expect("an id"), WorkOrderStatus::InProgress);
    let service =
        AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default());
    let principal = Principal::new(tenant, ApiKeyId::new(ulid::Ulid::generate()));
    let mut n = 0u64;
    c.bench_function("attach a new photo (command + attach, in-memory ports)", |b| {
        b.iter(|| {
            n += 1;
            let key = format!("bench/{n}.jpg");
            let fields = PhotoFields {
                minio_object_key: Some(&key),
                cdn_url: Some("https://cdn.example.com/acme/wo/front.jpg"),
                taken_at: Some("2026-04-15T12:00:00+02:00"),
                step: Some("before"),
            };
            let command =
                service.command(WorkOrderId::parse(WO).expect("an id"), fields).expect("a valid command");
            black_box(block_on(service.attach(&principal, command)).expect("attached"))
        })
    });
    c.bench_function("check a request into a command (no store)", |b| {
        b.iter(|| {
            let fields = PhotoFields {
                minio_object_key: Some("acme/wo/front.jpg"),
                cdn_url: Some("https://cdn.example.com/acme/wo/front.jpg"),
                taken_at: Some("2026-04-15T12:00:00+02:00"),
                step: Some("before"),
            };
            black_box(
                service
                    .command(black_box(WorkOrderId::parse(WO).expect("an id")), black_box(fields))
                    .expect("a valid command"),
            )
        })
    });
}

criterion_group!(benches, attach);
criterion_main!(benches);
