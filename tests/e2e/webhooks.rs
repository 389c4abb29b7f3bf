//! Webhooks of the real binary, to a real receiver the test starts: signatures checked by an
//! implementation of the test's own, back-off, kill -9, several servers, the commands.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

use crate::receiver::{Answer, Hit, Receiver, assert_signed};
use crate::setup;
use crate::support::{Env, attach, photo, request};

workorder_infra::on_both_backends!(
    crate::support::Env::new =>
    a_receiver_that_fails_then_times_out_then_answers_gets_the_signed_event_with_the_back_off,
    a_delivery_cut_by_kill_9_is_delivered_after_a_restart,
    webhook_commands_refuse_what_they_must_and_list_without_secrets,
    a_delivery_past_the_maximum_age_is_failed_listed_and_redelivered,
    a_subscription_made_or_deleted_while_two_servers_run_takes_effect_within_5_s,
    a_redirect_is_never_followed_nor_an_unbounded_answer_read,
    a_target_allowed_at_creation_is_refused_at_delivery_without_the_setting,
    two_servers_on_one_database_deliver_500_events_once_each_never_at_once,
);

/// A key for the secrets, in base64, as an operator makes one.
fn secrets_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

/// The settings every test here runs with: a secrets key, loopback receivers allowed, and
/// short waits.
fn webhook_env(mut env: Env, extra: &[(&str, &str)]) -> Env {
    env.extra_env.push(("WORKORDER_SECRETS_KEY".into(), secrets_key()));
    env.extra_env.push(("WORKORDER_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()));
    for (k, v) in extra {
        env.extra_env.push(((*k).into(), (*v).into()));
    }
    env
}

fn subscribe(env: &Env, receiver: &Receiver) -> String {
    let secret = env.cli(&["webhook", "create", "--tenant", "acme", "--url", &receiver.url()]);
    assert!(secret.starts_with("whsec_") && !secret.contains('\n'), "only the secret on stdout: {secret}");
    secret
}

fn feed(addr: std::net::SocketAddr, key: &str) -> Vec<Value> {
    let page = request(addr, "GET", "/v1/events?limit=200", &[("X-API-Key", key)], "");
    page.body["data"].as_array().cloned().unwrap_or_default()
}

fn a_receiver_that_fails_then_times_out_then_answers_gets_the_signed_event_with_the_back_off(env: Env) {
    let env = webhook_env(
        env,
        &[("WORKORDER_WEBHOOK_RETRY_BASE_MS", "400"), ("WORKORDER_WEBHOOK_TIMEOUT_MS", "1000")],
    );
    let receiver =
        Receiver::start(&[Answer::Status(500), Answer::Hang(Duration::from_secs(3))], Answer::Status(204));
    let (key, wo) = setup(&env);
    let secret = subscribe(&env, &receiver);
    let server = env.start();
    assert_eq!(attach(server.addr, &key, &wo, &photo("a.jpg")).status, 201);
    let hits = receiver.wait_for(3, Duration::from_secs(20));
    let (first, second, third) = (&hits[0], &hits[1], &hits[2]);
    assert!(hits.iter().all(|h| h.path == "/hooks/workorder"), "each delivery goes to the subscribed URL");
    let gap = |a: &Hit, b: &Hit| b.arrived.duration_since(a.arrived);
    // Retry 1 waits 400 ms ±50 %; retry 2 comes after the 1 s time-out, then 800 ms ±50 %.
    // Above: the workers' polling (250 ms) and the test's own slack.
    let (one, two) = (gap(first, second), gap(first, third) - gap(first, second));
    assert!(
        one >= Duration::from_millis(190) && one <= Duration::from_millis(1100),
        "first retry after {one:?}"
    );
    assert!(
        two >= Duration::from_millis(1350) && two <= Duration::from_millis(2800),
        "second retry after {two:?}"
    );
    for hit in &hits {
        assert_signed(hit, &secret);
        assert_eq!(hit.header("webhook-id"), first.header("webhook-id"), "one event, one id");
    }
    let body: Value = serde_json::from_slice(&third.body).unwrap();
    assert_eq!(vec![body.clone()], feed(server.addr, &key), "the body is the event as in the feed");
    assert_eq!(third.header("webhook-id"), body["id"].as_str());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.hits().len(), 3, "a delivered event is not sent again");
    let metrics = request(server.addr, "GET", "/metrics", &[], "").text;
    assert!(metrics.contains("workorder_webhook_deliveries_total{outcome=\"delivered\"} 1"), "{metrics}");
    assert!(metrics.contains("workorder_webhook_deliveries_total{outcome=\"retried\"} 2"), "{metrics}");
}

fn a_delivery_cut_by_kill_9_is_delivered_after_a_restart(env: Env) {
    // A 1 s time-out makes a 3 s lease: the restarted server claims the delivery again then.
    let env = webhook_env(env, &[("WORKORDER_WEBHOOK_TIMEOUT_MS", "1000")]);
    let receiver = Receiver::start(&[Answer::Hang(Duration::from_secs(30))], Answer::Status(200));
    let (key, wo) = setup(&env);
    let secret = subscribe(&env, &receiver);
    let mut server = env.start();
    assert_eq!(attach(server.addr, &key, &wo, &photo("a.jpg")).status, 201);
    // The first request has arrived and hangs: kill -9 the server in the middle of it.
    receiver.wait_for_arrivals(1, Duration::from_secs(10));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let restarted = env.start();
    let hits = receiver.wait_for(1, Duration::from_secs(60));
    assert_signed(&hits[0], &secret);
    let event = &feed(restarted.addr, &key)[0];
    assert_eq!(hits[0].header("webhook-id"), event["id"].as_str());
}

fn webhook_commands_refuse_what_they_must_and_list_without_secrets(env: Env) {
    let receiver = Receiver::start(&[], Answer::Status(200));
    // Without a secrets key, create exits 2 with one line.
    let output = env
        .command()
        .args(["webhook", "create", "--tenant", "acme", "--url", &receiver.url()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("WORKORDER_SECRETS_KEY"), "{stderr}");
    // A loopback target is refused without WORKORDER_WEBHOOK_ALLOW_PRIVATE.
    let mut strict = Env::new_like(&env);
    strict.extra_env.push(("WORKORDER_SECRETS_KEY".into(), secrets_key()));
    for url in
        [receiver.url(), "http://localhost:9/x".into(), "http://[::1]:9/x".into(), "http://10.0.0.1/x".into()]
    {
        let output =
            strict.command().args(["webhook", "create", "--tenant", "acme", "--url", &url]).output().unwrap();
        assert!(!output.status.success(), "{url} must be refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("private"), "{stderr}");
    }
    let output = strict
        .command()
        .args(["webhook", "create", "--tenant", "acme", "--url", "ftp://x.example/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a bad URL is a bad argument");

    let env = webhook_env(env, &[]);
    let secret = subscribe(&env, &receiver);
    let listed = env.cli(&["webhook", "list", "--tenant", "acme"]);
    let columns: Vec<&str> = listed.split('\t').collect();
    assert_eq!(columns.len(), 6, "{listed}");
    assert_eq!(
        (columns[1], columns[2], columns[4], columns[5]),
        ("acme", receiver.url().as_str(), "active", "0 failed")
    );
    let raw = secret.strip_prefix("whsec_").unwrap();
    assert!(!listed.contains(raw), "the secret is never listed");
    assert_eq!(env.cli(&["webhook", "list", "--tenant", "globex"]), "");
    assert!(!database_contains(&env, raw), "the database never holds the secret in clear");

    // A server with subscriptions but no key refuses to start.
    let keyless = Env::new_like(&env);
    let output = keyless.command().env("WORKORDER_BIND", "127.0.0.1:0").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().last().unwrap_or_default().contains("WORKORDER_SECRETS_KEY"), "{stderr}");

    env.cli(&["webhook", "delete", columns[0]]);
    assert_eq!(env.cli(&["webhook", "list"]), "");
    let output = env.command().args(["webhook", "delete", columns[0]]).output().unwrap();
    assert!(!output.status.success(), "deleting twice says so");
}

fn database_contains(env: &Env, needle: &str) -> bool {
    let bytes = base64::engine::general_purpose::STANDARD.decode(needle).unwrap();
    match env.db.url().sqlite_path() {
        Some(path) => {
            let mut all = Vec::new();
            for suffix in ["", "-wal"] {
                all.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
            }
            all.windows(bytes.len()).any(|w| w == bytes)
                || all.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
        None => {
            use diesel::{Connection, RunQueryDsl};
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Bytea)]
                secret_ciphertext: Vec<u8>,
            }
            let mut pg = diesel::PgConnection::establish(env.db.url().postgres_url().unwrap()).unwrap();
            let rows: Vec<Row> = diesel::sql_query("SELECT secret_ciphertext FROM webhook_subscriptions")
                .load(&mut pg)
                .unwrap();
            rows.iter().any(|r| r.secret_ciphertext.windows(bytes.len()).any(|w| w == bytes))
        }
    }
}

fn a_delivery_past_the_maximum_age_is_failed_listed_and_redelivered(env: Env) {
    let env = webhook_env(
        env,
        &[("WORKORDER_WEBHOOK_RETRY_BASE_MS", "200"), ("WORKORDER_WEBHOOK_MAX_AGE_SECS", "1")],
    );
    let receiver = Receiver::start(&[], Answer::Status(500));
    let (key, wo) = setup(&env);
    let secret = subscribe(&env, &receiver);
    let server = env.start();
    assert_eq!(attach(server.addr, &key, &wo, &photo("a.jpg")).status, 201);
    let deadline = Instant::now() + Duration::from_secs(15);
    let listed = loop {
        let listed = env.cli(&["webhook", "list"]);
        if listed.ends_with("\t1 failed") {
            break listed;
        }
        assert!(Instant::now() < deadline, "not failed after the maximum age: {listed}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let tries = receiver.hits().len();
    assert!(tries >= 2, "retried until the maximum age: {tries}");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(receiver.hits().len(), tries, "a failed delivery is not tried again");
    receiver.answer_from_now(Answer::Status(200));
    let id = listed.split('\t').next().unwrap();
    env.cli(&["webhook", "redeliver", id]);
    let hits = receiver.wait_for(tries + 1, Duration::from_secs(10));
    assert_signed(hits.last().unwrap(), &secret);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !env.cli(&["webhook", "list"]).ends_with("\tactive\t0 failed") {
        assert!(Instant::now() < deadline, "the redelivery was not recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);
}

/// Two servers on one database (PostgreSQL, or one SQLite file), 500 photos attached through
/// both: every event is delivered, and no event is ever being delivered by both at once.
fn two_servers_on_one_database_deliver_500_events_once_each_never_at_once(env: Env) {
    let env = webhook_env(env, &[]);
    let receiver = Receiver::start(&[], Answer::Slow(200, Duration::from_millis(5)));
    let (key, wo) = setup(&env);
    subscribe(&env, &receiver);
    let servers = [env.start(), env.start()];
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (addr, key, wo) = (servers[t % 2].addr, key.clone(), wo.clone());
            std::thread::spawn(move || {
                for i in 0..125 {
                    assert_eq!(attach(addr, &key, &wo, &photo(&format!("p{t}-{i}.jpg"))).status, 201);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let hits = receiver.wait_for(500, Duration::from_secs(60));
    let mut by_id: HashMap<String, Vec<&Hit>> = HashMap::new();
    for hit in &hits {
        by_id.entry(hit.header("webhook-id").unwrap().to_owned()).or_default().push(hit);
    }
    assert_eq!(by_id.len(), 500, "every event delivered");
    for (id, hits) in &by_id {
        for (i, a) in hits.iter().enumerate() {
            for b in &hits[i + 1..] {
                assert!(a.answered <= b.arrived || b.answered <= a.arrived, "{id} delivered twice at once");
            }
        }
    }
    let duplicates = hits.len() - by_id.len();
    assert_eq!(duplicates, 0, "no crash and no time-out, so no duplicate");
}

fn a_subscription_made_or_deleted_while_two_servers_run_takes_effect_within_5_s(env: Env) {
    let env = webhook_env(env, &[]);
    let receiver = Receiver::start(&[], Answer::Status(200));
    let (key, wo) = setup(&env);
    let servers = [env.start(), env.start()];
    assert_eq!(attach(servers[0].addr, &key, &wo, &photo("before.jpg")).status, 201);
    std::thread::sleep(Duration::from_millis(500));
    subscribe(&env, &receiver);
    let subscribed = Instant::now();
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(attach(server.addr, &key, &wo, &photo(&format!("after-{i}.jpg"))).status, 201);
    }
    let hits = receiver.wait_for(2, Duration::from_secs(5));
    assert!(subscribed.elapsed() < Duration::from_secs(5));
    let events = feed(servers[0].addr, &key);
    let ids: Vec<&str> = hits.iter().map(|h| h.header("webhook-id").unwrap()).collect();
    assert!(
        !ids.contains(&events[0]["id"].as_str().unwrap()),
        "an event before the subscription is not sent"
    );
    for event in &events[1..] {
        assert!(ids.contains(&event["id"].as_str().unwrap()), "every event after it is sent: {ids:?}");
    }
    let id = env.cli(&["webhook", "list"]).split('\t').next().unwrap().to_owned();
    env.cli(&["webhook", "delete", &id]);
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(attach(server.addr, &key, &wo, &photo(&format!("deleted-{i}.jpg"))).status, 201);
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.hits().len(), 2, "nothing is sent to a deleted subscription");
}

/// A redirect is never followed, and an answer past the bound (64 KiB) is not a delivery:
/// both are retried.
fn a_redirect_is_never_followed_nor_an_unbounded_answer_read(env: Env) {
    let env = webhook_env(env, &[("WORKORDER_WEBHOOK_RETRY_BASE_MS", "100")]);
    let elsewhere = Receiver::start(&[], Answer::Status(200));
    let receiver = Receiver::start(
        &[Answer::Huge(1 << 20), Answer::Redirect(elsewhere.url())],
        Answer::Redirect(elsewhere.url()),
    );
    let (key, wo) = setup(&env);
    subscribe(&env, &receiver);
    let server = env.start();
    assert_eq!(attach(server.addr, &key, &wo, &photo("a.jpg")).status, 201);
    receiver.wait_for(3, Duration::from_secs(10));
    assert!(elsewhere.hits().is_empty(), "the redirect was followed");
    assert!(env.cli(&["webhook", "list"]).contains("\tretrying\t"), "a redirect is a failure to retry");
}

fn a_target_allowed_at_creation_is_refused_at_delivery_without_the_setting(env: Env) {
    let receiver = Receiver::start(&[], Answer::Status(200));
    let (key, wo) = setup(&env);
    // Created while private targets were allowed; served without the setting.
    let mut env = env;
    env.extra_env.push(("WORKORDER_SECRETS_KEY".into(), secrets_key()));
    let mut allowing = Env::new_like(&env);
    allowing.extra_env = env.extra_env.clone();
    allowing.extra_env.push(("WORKORDER_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()));
    let output = allowing
        .command()
        .args(["webhook", "create", "--tenant", "acme", "--url", &receiver.url()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let server = env.start();
    assert_eq!(attach(server.addr, &key, &wo, &photo("a.jpg")).status, 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !env.cli(&["webhook", "list"]).contains("\tretrying\t") {
        assert!(Instant::now() < deadline, "the refused delivery was not recorded as a failure");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(receiver.hits().is_empty(), "a loopback target was reached without the setting");
}
