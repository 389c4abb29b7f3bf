//! The events feed of the real binary: an attach's event is in the feed within 2 s of its 201.

use std::time::{Duration, Instant};

use crate::setup;
use crate::support::{Env, attach, photo, request};

workorder_infra::on_both_backends!(
    crate::support::Env::new =>
    an_attached_photo_is_in_the_feed_within_two_seconds_of_its_201,
);

fn an_attached_photo_is_in_the_feed_within_two_seconds_of_its_201(env: Env) {
    let (key, wo) = setup(&env);
    let server = env.start();
    let created = attach(server.addr, &key, &wo, &photo("a.jpg"));
    let answered = Instant::now();
    assert_eq!(created.status, 201, "{:?}", created.body);
    let photo_id = created.body["data"]["photoId"].as_str().unwrap().to_owned();
    let replay = attach(server.addr, &key, &wo, &photo("a.jpg"));
    assert_eq!(replay.status, 200);
    loop {
        let page = request(server.addr, "GET", "/v1/events", &[("X-API-Key", &key)], "");
        assert_eq!(page.status, 200, "{:?}", page.body);
        if let Some(events) = page.body["data"].as_array().filter(|e| !e.is_empty()) {
            assert_eq!(events.len(), 1, "a replay writes no event: {events:?}");
            assert_eq!(events[0]["id"], photo_id.as_str());
            assert_eq!(events[0]["data"]["workOrderId"], wo.as_str());
            break;
        }
        assert!(answered.elapsed() < Duration::from_secs(2), "no event 2 s after the 201");
        std::thread::sleep(Duration::from_millis(20));
    }
    let metrics = request(server.addr, "GET", "/metrics", &[], "").text;
    assert!(metrics.contains("workorder_events_published_total 1\n"), "{metrics}");
    assert!(metrics.contains("workorder_webhook_oldest_undelivered_event_age_seconds"), "{metrics}");
}
