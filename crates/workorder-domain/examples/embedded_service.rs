//! A service that embeds `workorder-domain` with an adapter of its own.
//!
//! Here the embedding service already authenticates its callers upstream (say, a gateway that
//! hands it a session token), so it brings its own [`ApiKeyVerifier`], and keeps work orders in
//! the crate's in-memory repository. Run it with
//! `cargo run -p workorder-domain --features in-memory --example embedded_service`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use workorder_domain::in_memory::{InMemoryWorkOrderRepo, block_on};
use workorder_domain::{
    ApiKeyId, ApiKeySecret, ApiKeyVerifier, AttachPhoto, AttachPolicy, CdnHostPolicy, Error, PhotoFields,
    Principal, SystemClock, TenantId, UlidPhotoIds, WorkOrderId, WorkOrderStatus,
};

/// The embedding service's own adapter: sessions its gateway already opened.
struct GatewaySessions {
    sessions: HashMap<String, Principal>,
}

#[async_trait]
impl ApiKeyVerifier for GatewaySessions {
    async fn verify(&self, presented: &ApiKeySecret) -> Result<Principal, Error> {
        // Every session is compared in constant time, as the port asks.
        let mut found = None;
        for (token, principal) in &self.sessions {
            if presented.matches(token) {
                found = Some(principal.clone());
            }
        }
        found.ok_or(Error::Unauthenticated)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tenant = TenantId::parse("acme")?;
    let principal = Principal::new(tenant.clone(), ApiKeyId::new(ulid::Ulid::generate()));
    let verifier = GatewaySessions { sessions: HashMap::from([("session-42".to_owned(), principal)]) };

    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    let wo = WorkOrderId::parse("2489E9AD-2EE2-8E00-8EC9-32D5F69181C0")?;
    repo.put_work_order(&tenant, wo, WorkOrderStatus::InProgress);

    let policy =
        AttachPolicy { cdn_hosts: CdnHostPolicy::only(["cdn.example.com"])?, ..AttachPolicy::default() };
    let service = AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), policy);

    let caller = block_on(verifier.verify(&ApiKeySecret::new("session-42")?))?;
    let fields = PhotoFields {
        minio_object_key: Some("acme/wo-2489e9ad/meter.jpg"),
        cdn_url: Some("https://cdn.example.com/acme/wo-2489e9ad/meter.jpg"),
        taken_at: Some("2026-04-15T12:00:00+02:00"),
        step: Some("meter reading"),
    };
    for attempt in ["first call", "retry"] {
        let command = service.command(wo, fields)?;
        let outcome = block_on(service.attach(&caller, command))?;
        println!(
            "{attempt}: photo {} on work order {} ({}) — {:?}",
            outcome.photo_id, outcome.work_order_id, outcome.status, outcome.disposition
        );
    }

    let bad = PhotoFields { cdn_url: Some("https://evil.example.net/x.jpg"), step: Some("  "), ..fields };
    if let Err(error) = service.command(wo, bad) {
        println!("refused: {} ({})", error.code(), error.message());
        for field in error.field_errors() {
            println!("  {}: {}", field.field(), field.message());
        }
    }
    Ok(())
}
