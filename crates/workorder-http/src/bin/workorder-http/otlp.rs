//! OpenTelemetry export, with the `otlp` feature: a server span for each request and a client
//! span for each of its database calls, sent over OTLP/HTTP (protobuf) by the SDK's batch
//! processor, on its own thread and through a bounded queue (`OTEL_BSP_MAX_QUEUE_SIZE`, 2,048
//! spans by default; past it spans are dropped, never the request slowed).
//!
//! Off unless `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and
//! `OTEL_SDK_DISABLED` is not `true`, `OTEL_TRACES_EXPORTER` not `none`). The SDK reads the
//! other standard settings itself: headers, timeout, sampler, batch sizes, resource attributes.
//!
//! A span is written once its request has its answer, from what the edge knows: the request's
//! trace and span ids are the ones its answer's `traceparent` carries (so a client can look its
//! request up), its parent the caller's `traceparent`; the database calls are those the
//! request's task made (`workorder_infra::DatabaseCalls`), an attach's being the batch it was
//! written in.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::HttpMessage;
use actix_web::dev::ServiceResponse;
use async_trait::async_trait;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, Config, IdGenerator, RandomIdGenerator, SamplingDecision, ShouldSample, SpanData,
    SpanEvents, SpanLinks, SpanProcessor,
};
use workorder_domain::Principal;
use workorder_http::ClientAddress;
use workorder_infra::{DatabaseCall, DatabaseCalls, DatabaseOperation};

/// The settings that turn export on; either names the collector.
const ENDPOINT_SETTINGS: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];

/// The service's name when `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`) does not give one.
const SERVICE_NAME: &str = "workorder-http";

/// The longest answer of a collector read: it says "accepted", or which spans it rejected.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// How many export timeouts the flush at exit may take: the default queue (2,048 spans) is four
/// batches of 512.
const FLUSH_EXPORTS: u32 = 4;

/// Flushes the spans when dropped: when serving ends, on every path.
pub(crate) struct FlushAtExit(pub(crate) Arc<Traces>);

impl Drop for FlushAtExit {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

/// The exporter could not be built from the settings.
#[derive(Debug, thiserror::Error)]
#[error("OpenTelemetry export: {0}")]
pub(crate) struct OtlpSettingsError(String);

/// Where spans go.
pub(crate) struct Traces {
    processor: BatchSpanProcessor,
    /// The longest one export may take.
    timeout: Duration,
    sampler: Box<dyn ShouldSample>,
    ids: RandomIdGenerator,
    scope: InstrumentationScope,
}

impl std::fmt::Debug for Traces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traces").finish_non_exhaustive()
    }
}

impl Traces {
    /// The export the `OTEL_*` settings ask for, if they ask for one.
    pub(crate) fn from_env() -> Result<Option<Arc<Self>>, OtlpSettingsError> {
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let disabled = set("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || set("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"));
        if disabled || !ENDPOINT_SETTINGS.iter().any(|name| set(name).is_some()) {
            return Ok(None);
        }
        // The SDK would fall back to protobuf silently; a collector on gRPC would get nothing.
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let Some(protocol) = set(name).filter(|p| !p.trim().eq_ignore_ascii_case("http/protobuf")) {
                return Err(OtlpSettingsError(format!(
                    "{name}={protocol} is not supported: this build exports http/protobuf only"
                )));
            }
        }
        let timeout = ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]
            .iter()
            .find_map(|name| set(name)?.parse().ok())
            .map_or(Duration::from_secs(10), Duration::from_millis);
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_timeout(timeout)
            .with_http_client(UreqClient::new(timeout))
            .build()
            .map_err(|e| OtlpSettingsError(e.to_string()))?;
        let config = Config::default();
        let mut processor = BatchSpanProcessor::builder(exporter).build();
        processor.set_resource(&resource(&config.resource));
        let scope =
            InstrumentationScope::builder(SERVICE_NAME).with_version(env!("CARGO_PKG_VERSION")).build();
        Ok(Some(Arc::new(Self {
            processor,
            timeout,
            sampler: config.sampler,
            ids: RandomIdGenerator::default(),
            scope,
        })))
    }

    /// Sends what is queued and stops. A full queue is a few batches, each of which may take
    /// the export timeout (retries included): waits for as many, not the SDK's 5 s.
    fn shutdown(&self) {
        if let Err(error) = self.processor.shutdown_with_timeout(self.timeout * FLUSH_EXPORTS) {
            log::warn!("OpenTelemetry export did not finish: {error}");
        }
    }

    /// The request's span and its database calls' spans, if the sampler keeps its trace.
    fn export<B>(&self, response: &ServiceResponse<B>, started: SystemTime, calls: &DatabaseCalls) {
        let request = response.request();
        let Some(trace_id) = request.extensions().get::<workorder_http::TraceId>().cloned() else {
            return;
        };
        let trace = TraceId::from(trace_id.w3c_trace_id());
        let flags = TraceFlags::new(trace_id.trace_flags());
        let parent = trace_id.parent_span_id().map(SpanId::from);
        let parent_cx = match parent {
            Some(parent) => Context::new().with_remote_span_context(SpanContext::new(
                trace,
                parent,
                flags,
                true,
                TraceState::NONE,
            )),
            None => Context::new(),
        };
        let method = workorder_http::method_label(request.method());
        let route = request.match_pattern();
        let name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let status = response.status().as_u16();
        let mut attributes = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.path", workorder_http::bounded_for_log(request.path())),
            KeyValue::new("http.response.status_code", i64::from(status)),
            KeyValue::new("workorder.trace_id", trace_id.as_str().to_owned()),
        ];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route));
        }
        if let Some(ClientAddress(ip)) = request.extensions().get::<ClientAddress>() {
            attributes.push(KeyValue::new("client.address", ip.to_string()));
        }
        if let Some(agent) = request.headers().get("user-agent").and_then(|v| v.to_str().ok()) {
            attributes.push(KeyValue::new("user_agent.original", workorder_http::bounded_for_log(agent)));
        }
        if let Some(who) = request.extensions().get::<Principal>() {
            attributes.push(KeyValue::new("workorder.tenant", who.tenant().to_string()));
            attributes.push(KeyValue::new("workorder.key_id", who.key_id().to_string()));
        }
        let sampled =
            self.sampler.should_sample(Some(&parent_cx), trace, &name, &SpanKind::Server, &attributes, &[]);
        if sampled.decision != SamplingDecision::RecordAndSample {
            return;
        }
        attributes.extend(sampled.attributes);
        let (calls, dropped) = calls.take();
        if dropped > 0 {
            attributes.push(KeyValue::new("workorder.db.calls_dropped", dropped as i64));
        }
        let span_context = |span| {
            SpanContext::new(trace, span, flags.with_sampled(true), false, sampled.trace_state.clone())
        };
        let server_span = SpanId::from(trace_id.span_id());
        let server_error = status >= 500;
        self.processor.on_end(SpanData {
            span_context: span_context(server_span),
            parent_span_id: parent.unwrap_or(SpanId::INVALID),
            parent_span_is_remote: parent.is_some(),
            span_kind: SpanKind::Server,
            name: Cow::Owned(name),
            start_time: started,
            end_time: SystemTime::now(),
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: if server_error { Status::error(format!("answered {status}")) } else { Status::Unset },
            instrumentation_scope: self.scope.clone(),
        });
        for call in calls {
            self.processor.on_end(SpanData {
                span_context: span_context(self.ids.new_span_id()),
                parent_span_id: server_span,
                parent_span_is_remote: false,
                span_kind: SpanKind::Client,
                name: Cow::Borrowed(call.operation.name()),
                start_time: call.started,
                end_time: call.started + call.duration,
                attributes: database_attributes(&call),
                dropped_attributes_count: 0,
                events: SpanEvents::default(),
                links: SpanLinks::default(),
                status: call.failure.clone().map_or(Status::Unset, Status::error),
                instrumentation_scope: self.scope.clone(),
            });
        }
    }
}

/// A database call's attributes, in OpenTelemetry's database conventions where they have one.
fn database_attributes(call: &DatabaseCall) -> Vec<KeyValue> {
    // The backend's name is OpenTelemetry's `db.system.name` for it.
    let mut attributes = vec![
        KeyValue::new("db.system.name", call.backend.to_string()),
        KeyValue::new("db.operation.name", call.operation.name()),
        KeyValue::new("workorder.db.queued_ms", call.queued.as_secs_f64() * 1000.0),
    ];
    if let DatabaseOperation::AttachBatch { photos } = call.operation {
        attributes.push(KeyValue::new("db.operation.batch.size", photos as i64));
    }
    if call.failure.is_some() {
        attributes.push(KeyValue::new("error.type", "database"));
    }
    attributes
}

/// The resource the settings describe, named `workorder-http` unless they name it.
fn resource(configured: &Resource) -> Resource {
    let named = configured
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    let builder = Resource::builder();
    let builder = if named { builder } else { builder.with_service_name(SERVICE_NAME) };
    builder.with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))).build()
}

/// Runs the request `answer`, then exports its spans, when `traces` is set.
pub(crate) async fn traced<B, F>(
    traces: Option<Arc<Traces>>,
    answer: F,
) -> Result<ServiceResponse<B>, actix_web::Error>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
{
    let Some(traces) = traces else {
        return answer.await;
    };
    let started = SystemTime::now();
    let calls = DatabaseCalls::default();
    let response = calls.record(answer).await;
    if let Ok(response) = &response {
        traces.export(response, started, &calls);
    }
    response
}

/// The collector's HTTP client: ureq, as the webhooks use, on the batch processor's own thread,
/// so that a blocking call blocks no request.
#[derive(Debug)]
struct UreqClient {
    agent: ureq::Agent,
}

impl UreqClient {
    fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("workorder-http/", env!("CARGO_PKG_VERSION")))
            .tls_config(ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls).build())
            .build();
        Self { agent: config.into() }
    }
}

#[async_trait]
impl HttpClient for UreqClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (head, body) = request.into_parts();
        let answer = self.agent.run(Request::from_parts(head, body.to_vec()))?;
        let (head, mut body) = answer.into_parts();
        let body = body.with_config().limit(MAX_ANSWER_BYTES).read_to_vec()?;
        Ok(Response::from_parts(head, Bytes::from(body)))
    }
}
