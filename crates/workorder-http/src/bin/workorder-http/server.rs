//! `serve`: migrate, wire the diesel adapters into the application, listen, and stop on
//! SIGTERM or SIGINT once in-flight requests finish.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use actix_web::dev::Service as _;
use tokio::signal::unix::{SignalKind, signal};
use workorder_domain::{DeliverWebhooks, DeliveryQueue, SystemClock, SystemJitter, UlidPhotoIds};
use workorder_http::{AppState, ObjectStorage, Ports, UreqWebhookSender, app};
use workorder_infra::{
    Database, DieselApiKeyVerifier, DieselDeliveryQueue, DieselWebhookRegistry, DieselWorkOrderRepo,
    with_deadline,
};

use crate::settings::Settings;
use crate::webhook_settings::WebhookSettings;
use crate::{Failure, background};

/// Delivery workers per server: each waits on one receiver at a time, so a receiver that
/// times out holds one back.
const DELIVERY_WORKERS: usize = 4;

/// The delivery use case, and its queue for the gauge of undelivered events.
type Deliveries = (DeliverWebhooks, Arc<dyn DeliveryQueue>);

/// The delivery use case and its queue, when there is a secrets key to open secrets with. No
/// key: no deliveries, and the server refuses to start if subscriptions exist.
fn delivery_workers(db: &Database, webhooks: &WebhookSettings) -> Result<Option<Deliveries>, Failure> {
    let Some(key) = webhooks.secrets_key.clone() else {
        let registry = DieselWebhookRegistry::new(db.clone(), None);
        let any = crate::on_runtime(async { registry.any_live().await.map_err(Failure::Store) })?;
        return if any { Err(Failure::NoSecretsKey) } else { Ok(None) };
    };
    let queue: Arc<dyn DeliveryQueue> = Arc::new(DieselDeliveryQueue::new(db.clone(), key));
    let sender = Arc::new(UreqWebhookSender::new(webhooks.targets, webhooks.timeout));
    let (clock, jitter) = (Arc::new(SystemClock), Arc::new(SystemJitter));
    let use_case =
        DeliverWebhooks::new(queue.clone(), sender, clock, jitter, webhooks.retry, webhooks.timeout);
    Ok(Some((use_case, queue)))
}

/// Descriptors kept for what is not a client: the database pool, the log, the listener, the
/// blocking threads' files.
const RESERVED_DESCRIPTORS: u64 = 64;

/// How many client connections to hold: the setting, within what the descriptor limit
/// allows once raised to its hard maximum. Past the bound, new connections wait in the
/// kernel's backlog instead of failing accept() in a loop (1,100 idle connections under a
/// soft limit of 1,024 once starved a valid request for 3 s). Each connection may buffer an
/// unfinished head of up to 128 KiB (actix's fixed limit), which bounds memory as well.
fn connection_bound(wanted: usize, pool_size: u32) -> usize {
    let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let affordable = descriptors.saturating_sub(RESERVED_DESCRIPTORS + u64::from(pool_size)).max(16);
    wanted.min(usize::try_from(affordable).unwrap_or(usize::MAX)).max(1)
}

/// Serves until a signal; `started` is when the process began, for the start-up line.
pub(crate) fn serve(
    db: Database,
    settings: Settings,
    webhooks: WebhookSettings,
    traces: Option<crate::Traces>,
    started: Instant,
) -> Result<(), Failure> {
    db.migrate()?;
    let deliveries = delivery_workers(&db, &webhooks)?;
    let version = db.schema_version()?.unwrap_or_default();
    let listen_error = |source| Failure::Listen { address: settings.bind.clone(), source };
    let listener = TcpListener::bind(&settings.bind).map_err(listen_error)?;
    let address = listener.local_addr().map_err(listen_error)?;

    let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
    let s3 = settings.object_storage.map(|s| (s.store, s.policy));
    let ports = Ports {
        repo: repo.clone(),
        reader: repo.clone(),
        feed: repo.clone(),
        verifier: Arc::new(DieselApiKeyVerifier::new(db.clone(), settings.key_cache_ttl)),
        clock: Arc::new(SystemClock),
        photo_ids: Arc::new(UlidPhotoIds),
        pool: Some(Arc::new(db.clone())),
        object_storage: s3.clone().map(|(store, policy)| ObjectStorage { store: Arc::new(store), policy }),
    };
    let mut state = AppState::new(ports, settings.policy, settings.auth_failure_limit);
    state.trusted_proxies = settings.trusted_proxies;
    let relay: Arc<dyn workorder_domain::EventRelay> = repo;
    let metrics = state.metrics.clone();
    let (backend, workers) = (db.backend(), settings.workers);
    let db_timeout = settings.database.connect_timeout;
    let connections = connection_bound(settings.max_connections, settings.database.pool_size);
    // actix counts connections per worker.
    let per_worker = connections.div_ceil(workers.max(1));
    // The spans of the last requests leave before the process does, however serving ends.
    #[cfg(feature = "otlp")]
    let _flush = traces.clone().map(crate::otlp::FlushAtExit);
    actix_web::rt::System::new().block_on(async move {
        // An unreachable endpoint or a missing bucket stops the start, as a database does.
        if let Some((store, _)) = &s3 {
            store.check().await?;
        }
        let server = HttpServer::new(move || {
            // Outermost, so it sees the request first: every database call the request makes
            // must get to the database within the timeout counted from here.
            let traces = traces.clone();
            app(state.clone()).wrap_fn(move |req, service| {
                let answer = with_deadline(Instant::now() + db_timeout, service.call(req));
                crate::traced(traces.clone(), answer)
            })
        })
        .workers(workers)
        .max_connections(per_worker)
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .shutdown_timeout(30)
        // Our own handlers, registered before the start-up line: actix registers its own
        // only once the server task first runs, and a signal in between would kill the
        // process outright.
        .disable_signals()
        .listen(listener)
        .map_err(|source| Failure::Listen { address: address.to_string(), source })?
        .run();
        let signal_error = |name| move |source| Failure::Signal { signal: name, source };
        let mut terminate = signal(SignalKind::terminate()).map_err(signal_error("SIGTERM"))?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error("SIGINT"))?;
        actix_web::rt::spawn(background::relay(relay, metrics.clone()));
        if let Some((use_case, queue)) = deliveries {
            for _ in 0..DELIVERY_WORKERS {
                actix_web::rt::spawn(background::deliver(use_case.clone(), metrics.clone()));
            }
            actix_web::rt::spawn(background::oldest_undelivered(queue, metrics));
        }
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            log::info!("{name}: no new connections; finishing in-flight requests (30 s at most)");
            handle.stop(true).await;
        });
        log::info!(
            "listening on http://{address} (backend {backend}, schema {version}, {workers} workers, \
             {connections} connections at most, ready in {} ms)",
            started.elapsed().as_millis()
        );
        server.await.map_err(Failure::Server)?;
        log::info!("stopped");
        Ok(())
    })
}
