//! The DeliverWebhooks use case over a queue and a sender of the test's own: what it claims,
//! and how it settles each attempt by the retry rule.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::datetime;
use workorder_domain::in_memory::{ManualClock, block_on};
use workorder_domain::{
    CdnUrl, DeliverWebhooks, DeliveryFailure, DeliveryKey, DeliveryQueue, DeliveryReport, DueDelivery, Error,
    Event, EventId, JitterSource, NewPhoto, ObjectKey, PhotoId, RetryPolicy, Settlement, SubscriptionId,
    TakenAt, TenantId, WebhookSecret, WebhookSender, WebhookUrl,
};

const OCCURRED: OffsetDateTime = datetime!(2026-04-15 12:00 UTC);

#[derive(Default)]
struct Queue {
    due: Mutex<Vec<DueDelivery>>,
    claims: Mutex<Vec<Duration>>,
    settled: Mutex<Vec<(DeliveryKey, Settlement)>>,
}

#[async_trait]
impl DeliveryQueue for Queue {
    async fn claim(&self, _: OffsetDateTime, lease: Duration, max: usize) -> Result<Vec<DueDelivery>, Error> {
        self.claims.lock().unwrap().push(lease);
        let mut due = self.due.lock().unwrap();
        let n = max.min(due.len());
        Ok(due.drain(..n).collect())
    }
    async fn settle(
        &self,
        key: &DeliveryKey,
        settlement: Settlement,
        _: OffsetDateTime,
    ) -> Result<(), Error> {
        self.settled.lock().unwrap().push((key.clone(), settlement));
        Ok(())
    }
    async fn oldest_pending(&self) -> Result<Option<OffsetDateTime>, Error> {
        Ok(None)
    }
}

/// Answers as scripted, in order.
struct Sender(Mutex<VecDeque<Result<(), DeliveryFailure>>>);

#[async_trait]
impl WebhookSender for Sender {
    async fn send(&self, _: &DueDelivery, _: OffsetDateTime) -> Result<(), DeliveryFailure> {
        self.0.lock().unwrap().pop_front().unwrap()
    }
}

struct Half;

impl JitterSource for Half {
    fn unit(&self) -> f64 {
        0.5
    }
}

fn due(attempt: u32) -> DueDelivery {
    let photo = NewPhoto {
        tenant: TenantId::parse("acme").unwrap(),
        work_order_id: workorder_domain::WorkOrderId::parse("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0").unwrap(),
        photo_id: PhotoId::new(ulid::Ulid(u128::from(attempt))),
        object_key: ObjectKey::parse("acme/a.jpg").unwrap(),
        cdn_url: CdnUrl::parse("https://cdn.example.com/a.jpg").unwrap(),
        taken_at: TakenAt::from_instant(OCCURRED).unwrap(),
        step: None,
        attached_by: workorder_domain::ApiKeyId::new(ulid::Ulid(1)),
        recorded_at: OCCURRED,
        object: None,
    };
    let event = Event::photo_attached(&photo);
    DueDelivery {
        key: DeliveryKey {
            tenant: event.tenant.clone(),
            subscription_id: SubscriptionId::new(ulid::Ulid(9)),
            event_id: EventId::new(ulid::Ulid(u128::from(attempt))),
        },
        url: WebhookUrl::parse("https://hooks.example.com/in").unwrap(),
        secret: WebhookSecret::new(vec![1; 24]).unwrap(),
        event,
        attempt,
    }
}

fn run(
    due_now: Vec<DueDelivery>,
    answers: Vec<Result<(), DeliveryFailure>>,
    now: OffsetDateTime,
) -> (Arc<Queue>, DeliveryReport) {
    let queue = Arc::new(Queue { due: Mutex::new(due_now), ..Queue::default() });
    let sender = Arc::new(Sender(Mutex::new(answers.into())));
    let policy = RetryPolicy { base: Duration::from_secs(5), max_age: Duration::from_secs(3600) };
    let use_case = DeliverWebhooks::new(
        queue.clone(),
        sender,
        Arc::new(ManualClock::new(now)),
        Arc::new(Half),
        policy,
        Duration::from_secs(10),
    );
    let report = block_on(use_case.run_once(10)).unwrap();
    (queue, report)
}

fn failure() -> Result<(), DeliveryFailure> {
    Err(DeliveryFailure("status 500".into()))
}

#[test]
fn a_delivered_attempt_is_settled_delivered_and_the_lease_is_three_attempt_timeouts() {
    let (queue, report) = run(vec![due(1)], vec![Ok(())], OCCURRED);
    assert_eq!(report, DeliveryReport { delivered: 1, retried: 0, failed: 0 });
    assert_eq!(queue.settled.lock().unwrap()[0].1, Settlement::Delivered);
    assert_eq!(queue.claims.lock().unwrap()[0], Duration::from_secs(30));
}

#[test]
fn a_failed_attempt_is_retried_after_the_policys_wait_for_its_number() {
    let now = OCCURRED + Duration::from_secs(60);
    let (queue, report) = run(vec![due(1), due(3)], vec![failure(), failure()], now);
    assert_eq!(report.retried, 2);
    let settled = queue.settled.lock().unwrap();
    // Jitter 0.5 is the nominal wait: 5 s after the first attempt, 20 s after the third.
    assert_eq!(
        settled[0].1,
        Settlement::RetryAt(now + Duration::from_secs(5), DeliveryFailure("status 500".into()))
    );
    assert_eq!(
        settled[1].1,
        Settlement::RetryAt(now + Duration::from_secs(20), DeliveryFailure("status 500".into()))
    );
}

#[test]
fn a_failed_attempt_of_an_event_past_its_maximum_age_is_given_up() {
    let (queue, report) = run(vec![due(7)], vec![failure()], OCCURRED + Duration::from_secs(3600));
    assert_eq!(report.failed, 1);
    assert!(matches!(queue.settled.lock().unwrap()[0].1, Settlement::Failed(_)));
}
