//! `/metrics` in the OpenMetrics or the Prometheus text format: requests by route and status,
//! latency, photos attached, authentication failures, the database pool, object storage
//! (verifications by outcome, calls by operation and result with their latency), events
//! published and webhook deliveries; the process's own metrics and the build. Every series of a
//! bounded label set exists from the start, at 0, so a rate over it needs no first event.

use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use workorder_domain::{DeliveryReport, Disposition, PoolProbe};

use crate::AppState;
use crate::batch_size_metric::BatchSizeHistogram;
use crate::process_metrics::ProcessMetrics;
use crate::prometheus_text;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// A request's method as a label: any token is a valid method, so a series per raw method
/// would let a client without a key grow the family without bound (measured: 10,000 requests
/// with 16 KB methods took the process from 15 to 183 MB). The standard methods keep their
/// names; every other one is `other`.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectStoreLabels {
    operation: &'static str,
    result: &'static str,
}

/// Each verification outcome the attach route reports.
const VERIFICATION_OUTCOMES: [&str; 3] = ["accepted", "not_found", "rejected"];
/// Each object-store call and the results it can have (a presign finds no object missing).
const OBJECT_STORE_CALLS: [(&str, &[&str]); 2] = [
    ("describe", &["ok", "not_found", "unavailable", "error"]),
    ("presign", &["ok", "unavailable", "error"]),
];
/// Each delivery outcome of a pass.
const DELIVERY_OUTCOMES: [&str; 3] = ["delivered", "retried", "failed"];

fn attach_outcome(disposition: Disposition) -> &'static str {
    match disposition {
        Disposition::Created => "created",
        Disposition::AlreadyAttached => "already_attached",
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~4 s: a request's database work is about a millisecond.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 14))
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    photos: Family<OutcomeLabels, Counter>,
    auth_failures: Counter,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    pool_waits: Counter,
    pool_timeouts: Counter,
    attach_batches: BatchSizeHistogram,
    verifications: Family<OutcomeLabels, Counter>,
    object_store: Family<ObjectStoreLabels, Histogram, fn() -> Histogram>,
    events: EventMetrics,
    process: ProcessMetrics,
}

/// The outbox's and the webhooks' metrics.
#[derive(Debug, Default)]
struct EventMetrics {
    published: Counter,
    deliveries: Family<OutcomeLabels, Counter>,
    oldest_undelivered: Gauge,
}

impl EventMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "events_published",
            "Events published to the feed by this server",
            self.published.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retried or failed (given up)",
            self.deliveries.clone(),
        );
        registry.register(
            "webhook_oldest_undelivered_event_age_seconds",
            "Age of the oldest event still waiting for a webhook delivery (0 when none)",
            self.oldest_undelivered.clone(),
        );
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let photos = Family::<OutcomeLabels, Counter>::default();
        let auth_failures = Counter::default();
        let (pool_connections, pool_idle, pool_max) = (Gauge::default(), Gauge::default(), Gauge::default());
        let (pool_waits, pool_timeouts) = (Counter::default(), Counter::default());

        let mut registry = Registry::with_prefix("workorder");
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by route",
            latency.clone(),
        );
        registry.register("photos_attached", "Attach outcomes: created or retry", photos.clone());
        registry.register(
            "auth_failures",
            "Requests refused as unauthenticated (401) or for too many failures (429)",
            auth_failures.clone(),
        );
        registry.register("db_pool_connections", "Database connections open", pool_connections.clone());
        registry.register("db_pool_idle_connections", "Database connections idle", pool_idle.clone());
        registry.register("db_pool_max_connections", "Most database connections", pool_max.clone());
        registry.register("db_pool_waits", "Requests that waited for a connection", pool_waits.clone());
        registry.register(
            "db_pool_timeouts",
            "Requests that gave up waiting for a connection (answered 503)",
            pool_timeouts.clone(),
        );
        let attach_batches = BatchSizeHistogram::default();
        registry.register(
            "db_attach_batch_size",
            "Photos the database wrote together, batch by batch (one commit each)",
            attach_batches.clone(),
        );
        let verifications = Family::<OutcomeLabels, Counter>::default();
        let object_store = Family::<ObjectStoreLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "photo_verifications",
            "Verifications of a new photo's object: accepted, not_found, rejected",
            verifications.clone(),
        );
        registry.register(
            "object_store_request_duration_seconds",
            "Object-store calls by operation (describe, presign) and result (ok, not_found, unavailable, error)",
            object_store.clone(),
        );
        let events = EventMetrics::default();
        events.register(&mut registry);
        // The bounded families' series, at 0 before their first event (the guard is dropped at
        // once: only the series' creation matters).
        for disposition in [Disposition::Created, Disposition::AlreadyAttached] {
            drop(photos.get_or_create(&OutcomeLabels { outcome: attach_outcome(disposition) }));
        }
        for outcome in VERIFICATION_OUTCOMES {
            drop(verifications.get_or_create(&OutcomeLabels { outcome }));
        }
        for (operation, results) in OBJECT_STORE_CALLS {
            for &result in results {
                drop(object_store.get_or_create(&ObjectStoreLabels { operation, result }));
            }
        }
        for outcome in DELIVERY_OUTCOMES {
            drop(events.deliveries.get_or_create(&OutcomeLabels { outcome }));
        }
        // Each route's answers as the OpenAPI document lists them, but for 405: that one is
        // answered to a method the route does not serve, so its method label is the caller's.
        for (method, route, status) in crate::openapi::documented_answers() {
            if status != 405 {
                drop(requests.get_or_create(&RequestLabels { method, route: route.clone(), status }));
            }
            drop(latency.get_or_create(&RouteLabels { route }));
        }
        Self {
            events,
            process: ProcessMetrics::default(),
            verifications,
            object_store,
            registry,
            requests,
            latency,
            photos,
            auth_failures,
            pool_connections,
            pool_idle,
            pool_max,
            pool_waits,
            pool_timeouts,
            attach_batches,
        }
    }
}

impl Metrics {
    /// Counts a request. Every label is from a bounded set: `method` from [`method_label`],
    /// `route` a pattern of the app (or `unmatched`), `status` a status code.
    pub(crate) fn observe_request(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        self.requests.get_or_create(&RequestLabels { method, route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
    }

    pub(crate) fn observe_attach(&self, disposition: Disposition) {
        self.photos.get_or_create(&OutcomeLabels { outcome: attach_outcome(disposition) }).inc();
    }

    /// A verification's outcome: `accepted`, `not_found` or `rejected`.
    pub(crate) fn observe_verification(&self, outcome: &'static str) {
        self.verifications.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// An object-store call: how long it took and how it ended.
    pub(crate) fn observe_object_store(&self, operation: &'static str, result: &'static str, seconds: f64) {
        self.object_store.get_or_create(&ObjectStoreLabels { operation, result }).observe(seconds);
    }

    /// Counts events the relay published.
    pub fn observe_events_published(&self, count: u64) {
        self.events.published.inc_by(count);
    }

    /// Counts a delivery pass's outcomes.
    pub fn observe_deliveries(&self, report: DeliveryReport) {
        for (outcome, n) in
            DELIVERY_OUTCOMES.into_iter().zip([report.delivered, report.retried, report.failed])
        {
            if n > 0 {
                self.events.deliveries.get_or_create(&OutcomeLabels { outcome }).inc_by(n);
            }
        }
    }

    /// Sets the age of the oldest event waiting for a delivery, in seconds.
    pub fn set_oldest_undelivered_age(&self, seconds: i64) {
        self.events.oldest_undelivered.set(seconds.max(0));
    }

    pub(crate) fn observe_auth_failure(&self) {
        self.auth_failures.inc();
    }

    fn render(&self, pool: Option<&dyn PoolProbe>) -> String {
        if let Some(pool) = pool {
            let sample = pool.sample();
            self.pool_connections.set(i64::from(sample.connections));
            self.pool_idle.set(i64::from(sample.idle));
            self.pool_max.set(i64::from(sample.max_size));
            // Counters only go up: move them to the probe's totals.
            self.pool_waits.inc_by(sample.waits.saturating_sub(self.pool_waits.get()));
            self.pool_timeouts.inc_by(sample.timeouts.saturating_sub(self.pool_timeouts.get()));
            self.attach_batches.set(sample.attach_batches);
        }
        self.process.refresh();
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut text, &self.registry);
        let _ = encode_registry(&mut text, &self.process.registry);
        let _ = encode_eof(&mut text);
        text
    }
}

/// The metrics, in OpenMetrics or the Prometheus text format.
///
/// OpenMetrics when the scraper's `Accept` asks for it, as Prometheus does; else the Prometheus
/// text format 0.0.4, as promtool and `curl` read it.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses((status = 200, description = "The metrics",
        content((String = "application/openmetrics-text"), (String = "text/plain")))))]
pub(crate) async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let text = state.metrics.render(state.pool.as_deref());
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    if prometheus_text::wants_openmetrics(accept) {
        HttpResponse::Ok().content_type(prometheus_text::OPENMETRICS).body(text)
    } else {
        HttpResponse::Ok()
            .content_type(prometheus_text::PROMETHEUS)
            .body(prometheus_text::to_prometheus(&text))
    }
}
