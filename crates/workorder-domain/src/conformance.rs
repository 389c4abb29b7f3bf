//! A conformance suite for adapter authors (feature `conformance`): every "MUST" of the ports,
//! as functions an adapter's tests run against it.
//!
//! Implement [`Harness`] for a fresh store of yours, then generate one test per rule with
//! [`conformance_tests!`](crate::conformance_tests), in a test file of your crate:
//! `workorder_domain::conformance_tests!(MyHarness::new());` (the crate's own
//! `tests/conformance.rs` does it for the in-memory adapters and for an adapter of its own;
//! `workorder-infra`'s for the diesel ones).
//!
//! Each rule is a plain function that panics (with the rule in its message) when the adapter
//! breaks it: its `expect`s are assertions, and no request ever reaches this module. The rules are synchronous: they drive futures with [`Harness::block_on`], so the
//! suite runs on whatever executor the adapter needs, and the race rules call it from threads
//! of their own to make real concurrency.

use std::future::Future;
use std::sync::Arc;

use crate::identity::{ApiKeyId, ApiKeySecret, Principal, TenantId};
use crate::object_storage::PresignedUpload;
use crate::ports::{
    ApiKeyVerifier, DeliveryQueue, EventFeed, EventRelay, ObjectStore, WebhookRegistry, WorkOrderReader,
    WorkOrderRepo,
};
use crate::work_order::{WorkOrderId, WorkOrderStatus};

pub mod api_keys;
pub mod attach;
pub mod availability;
pub mod decide_attach;
pub mod events;
pub mod object_store;
pub mod read_side;
mod support;
pub mod webhooks;

/// A fresh store under test, and the means to drive it. Each rule takes a new one.
pub trait Harness: Send + Sync {
    /// Runs `future` to completion on the calling thread. Rules call it from the test's thread
    /// and from threads they start, never from inside a future.
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T;

    /// The store's attach side.
    fn repo(&self) -> Arc<dyn WorkOrderRepo>;

    /// The store's read side.
    fn reader(&self) -> Arc<dyn WorkOrderReader>;

    /// The store's key verifier.
    fn verifier(&self) -> Arc<dyn ApiKeyVerifier>;

    /// The store's events feed.
    fn feed(&self) -> Arc<dyn EventFeed>;

    /// The store's outbox relay.
    fn relay(&self) -> Arc<dyn EventRelay>;

    /// The store's webhook subscriptions and delivery queue, over the same store as
    /// [`Harness::relay`] (publishing queues deliveries); `None` (the default) for a store
    /// without webhooks, whose webhook rules then pass.
    fn webhooks(&self) -> Option<(Arc<dyn WebhookRegistry>, Arc<dyn DeliveryQueue>)> {
        None
    }

    /// Adds a work order to `tenant` with `status`.
    fn seed_work_order(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus);

    /// Changes a seeded work order's status.
    fn set_status(&self, tenant: &TenantId, id: WorkOrderId, status: WorkOrderStatus);

    /// Makes a key for `tenant`: what a client presents, and the principal it stands for.
    fn issue_key(&self, tenant: &TenantId) -> (ApiKeySecret, Principal);

    /// Revokes a key made by [`Harness::issue_key`].
    fn revoke_key(&self, id: ApiKeyId);

    /// The same kind of store, out of reach (a server that refuses connections, a file that
    /// cannot be opened), with a key `issue_key` made on this one: every call to it must be
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    fn unreachable(&self) -> Unreachable;
}

/// A store out of reach, as [`Harness::unreachable`] gives it.
pub struct Unreachable {
    /// Its attach side.
    pub repo: Arc<dyn WorkOrderRepo>,
    /// Its read side.
    pub reader: Arc<dyn WorkOrderReader>,
    /// Its verifier.
    pub verifier: Arc<dyn ApiKeyVerifier>,
    /// A key of the right shape, issued while the store was reachable.
    pub key: ApiKeySecret,
}

/// Generates one `#[test]` per rule of the suite, each on a fresh harness made by `$harness`
/// (an expression evaluated per test). With `optional`, the expression gives an
/// `Option<impl Harness>`, and `None` (a store this machine lacks) ends the test after the
/// expression has said why.
#[macro_export]
macro_rules! conformance_tests {
    (@run [required $harness:expr] $module:ident $rule:ident) => {
        $crate::conformance::$module::$rule(&$harness)
    };
    (@run [optional $harness:expr] $module:ident $rule:ident) => {
        if let Some(harness) = $harness {
            $crate::conformance::$module::$rule(&harness)
        }
    };
    (@each $how:tt; $($module:ident :: $rule:ident),* $(,)?) => {
        $(
            #[test]
            fn $rule() {
                $crate::conformance_tests!(@run $how $module $rule);
            }
        )*
    };
    (@rules $how:tt) => {
        $crate::conformance_tests!(@each $how;
            attach::a_new_photo_is_recorded_with_its_data_byte_for_byte,
            attach::an_identical_retry_is_already_attached_under_the_first_id,
            attach::other_data_under_the_same_key_is_a_conflict,
            attach::a_work_order_that_refuses_photos_still_answers_retries,
            attach::every_status_takes_a_new_photo_exactly_when_it_accepts_photos,
            attach::a_missing_or_foreign_work_order_is_not_found,
            attach::racing_identical_attaches_record_one_photo,
            attach::racing_attaches_of_distinct_keys_all_record,
            decide_attach::deciding_an_attach_answers_as_the_attach_would_and_records_nothing,
            decide_attach::a_verified_object_is_read_back_with_its_photo,
            read_side::a_work_order_counts_its_photos_and_hides_from_other_tenants,
            read_side::photos_come_by_taken_at_then_id_strictly_after_the_cursor,
            read_side::a_page_holds_at_most_the_limit_asked,
            read_side::a_photo_is_found_only_on_its_work_order_in_its_tenant,
            read_side::instants_round_trip_to_the_microsecond,
            events::each_new_photo_writes_its_event_and_nothing_else_does,
            events::the_feed_pages_by_position_per_tenant,
            events::racing_attaches_and_relays_publish_every_event_once,
            webhooks::an_event_is_queued_once_for_each_subscription_live_when_it_is_published,
            webhooks::a_claimed_delivery_is_kept_from_other_claims_until_its_lease_ends,
            webhooks::each_settlement_decides_when_a_delivery_is_due_again,
            webhooks::racing_claims_never_share_a_delivery,
            api_keys::a_key_verifies_to_its_principal_and_others_do_not,
            api_keys::a_revoked_key_is_refused_within_30_seconds,
            availability::an_unreachable_store_is_unavailable_not_internal,
        );
    };
    (optional $harness:expr) => {
        $crate::conformance_tests!(@rules [optional $harness]);
    };
    ($harness:expr) => {
        $crate::conformance_tests!(@rules [required $harness]);
    };
}

/// A fresh object store under test (an empty bucket), and the means to drive it: the rules of
/// [`object_store`], generated by [`object_store_conformance_tests!`](crate::object_store_conformance_tests).
pub trait ObjectStoreHarness: Send + Sync {
    /// Runs `future` to completion on the calling thread.
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T;

    /// The store.
    fn store(&self) -> Arc<dyn ObjectStore>;

    /// PUTs `body` to the ticket's URL with exactly `headers`, as a client without
    /// credentials would: `Ok(())` when the store took it, `Err` (what it answered) when it
    /// refused.
    fn upload(
        &self,
        ticket: &PresignedUpload,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), String>;

    /// The same store, out of reach: every call must be
    /// [`Error::Unavailable`](crate::Error::Unavailable), within the store's timeout.
    fn unreachable(&self) -> Arc<dyn ObjectStore>;
}

/// Generates one `#[test]` per rule of [`object_store`], as
/// [`conformance_tests!`](crate::conformance_tests) does for the other ports (`optional` too).
#[macro_export]
macro_rules! object_store_conformance_tests {
    (@rules $how:tt) => {
        $crate::conformance_tests!(@each $how;
            object_store::a_missing_object_is_described_as_none,
            object_store::an_uploaded_object_is_described_by_what_was_put,
            object_store::first_bytes_are_at_most_those_asked,
            object_store::a_ticket_lists_its_signed_headers_and_expires_after_its_lifetime,
            object_store::an_upload_with_other_headers_than_the_signed_ones_is_refused,
            object_store::an_upload_with_another_digest_is_refused,
            object_store::an_expired_ticket_is_refused,
            object_store::keys_are_kept_byte_for_byte,
            object_store::an_unreachable_store_is_unavailable,
        );
    };
    (optional $harness:expr) => {
        $crate::object_store_conformance_tests!(@rules [optional $harness]);
    };
    ($harness:expr) => {
        $crate::object_store_conformance_tests!(@rules [required $harness]);
    };
}
