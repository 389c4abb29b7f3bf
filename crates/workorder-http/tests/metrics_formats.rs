//! `/metrics` in both text formats, with every bounded series from the start, the process's
//! metrics and the build, checked by promtool (Debian's `prometheus` package), in process.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use actix_web::test::{self, TestRequest};
use support::world;
use workorder_http::app;

/// Prometheus 2's own Accept header.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

async fn scrape(accept: Option<&str>) -> (String, String) {
    let w = world();
    let service = test::init_service(app(w.state.clone())).await;
    let mut req = TestRequest::get().uri("/metrics");
    if let Some(accept) = accept {
        req = req.insert_header(("Accept", accept));
    }
    let response = test::call_service(&service, req.to_request()).await;
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    (content_type, String::from_utf8(test::read_body(response).await.to_vec()).unwrap())
}

/// What a fresh server must show before any request: each bounded series at 0.
const SERIES_FROM_THE_START: [&str; 13] = [
    r#"workorder_http_requests_total{method="POST",route="/v1/work-orders/{id}/photos",status="201"} 0"#,
    r#"workorder_http_requests_total{method="POST",route="/v1/work-orders/{id}/photos",status="409"} 0"#,
    r#"workorder_http_requests_total{method="HEAD",route="/readyz",status="503"} 0"#,
    r#"workorder_http_request_duration_seconds_count{route="/v1/events"} 0"#,
    r#"workorder_photos_attached_total{outcome="created"} 0"#,
    r#"workorder_photos_attached_total{outcome="already_attached"} 0"#,
    r#"workorder_photo_verifications_total{outcome="not_found"} 0"#,
    r#"workorder_object_store_request_duration_seconds_count{operation="describe",result="unavailable"} 0"#,
    r#"workorder_object_store_request_duration_seconds_count{operation="presign",result="error"} 0"#,
    r#"workorder_webhook_deliveries_total{outcome="failed"} 0"#,
    r#"workorder_auth_failures_total 0"#,
    r#"workorder_db_attach_batch_size_count 0"#,
    concat!(r#"workorder_build_info{version=""#, env!("CARGO_PKG_VERSION"), r#""} 1"#),
];

fn value_of(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.split(' ').next() == Some(series))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn a_scraper_that_does_not_ask_for_openmetrics_gets_prometheus_text_that_promtool_accepts() {
    let (content_type, text) = scrape(None).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF") && !text.contains("# UNIT") && !text.contains("_created"), "{text}");
    assert!(text.contains("# TYPE workorder_photos_attached_total counter\n"), "{text}");
    for series in SERIES_FROM_THE_START {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut promtool =
        promtool.expect("promtool on PATH (Debian: apt-get install prometheus; .ci/run installs it)");
    promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = promtool.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[actix_web::test]
async fn prometheus_s_accept_header_gets_openmetrics_with_the_same_series() {
    let (content_type, text) = scrape(Some(PROMETHEUS_ACCEPT)).await;
    assert_eq!(content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1);
    assert!(text.contains("# TYPE workorder_photos_attached counter\n"), "{text}");
    for series in SERIES_FROM_THE_START {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
}

#[actix_web::test]
async fn the_process_metrics_are_this_process_s() {
    // Some CPU time first: the kernel counts it in hundredths of a second.
    let busy = std::time::Instant::now();
    let mut spin = 0_u64;
    while busy.elapsed() < std::time::Duration::from_millis(200) {
        spin = std::hint::black_box(spin.wrapping_add(1));
    }
    let (_, text) = scrape(None).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let started = value_of(&text, "process_start_time_seconds");
    assert!(started > now - 3600.0 && started <= now + 1.0, "started {started}, now {now}");
    assert!(value_of(&text, "process_resident_memory_bytes") > 1_000_000.0);
    let (open, max) = (value_of(&text, "process_open_fds"), value_of(&text, "process_max_fds"));
    assert!(open >= 3.0 && max >= open, "{open} of {max}");
    assert!(value_of(&text, "process_cpu_seconds_total") > 0.0);
}
