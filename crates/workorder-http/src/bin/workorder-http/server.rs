//! `serve`: migrate, wire the diesel adapters into the application, listen, and stop on
//! SIGTERM or SIGINT once in-flight requests finish.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use tokio::signal::unix::{SignalKind, signal};
use workorder_domain::{SystemClock, UlidPhotoIds};
use workorder_http::{AppState, Ports, app};
use workorder_infra::{Database, DieselApiKeyVerifier, DieselWorkOrderRepo};

use crate::settings::Settings;
use crate::{Failure, background};

/// Serves until a signal; `started` is when the process began, for the start-up line.
pub(crate) fn serve(db: Database, settings: Settings, started: Instant) -> Result<(), Failure> {
    db.migrate()?;
    let version = db.schema_version()?.unwrap_or_default();
    let listen_error = |source| Failure::Listen { address: settings.bind.clone(), source };
    let listener = TcpListener::bind(&settings.bind).map_err(listen_error)?;
    let address = listener.local_addr().map_err(listen_error)?;

    let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
    let ports = Ports {
        repo: repo.clone(),
        reader: repo.clone(),
        feed: repo.clone(),
        verifier: Arc::new(DieselApiKeyVerifier::new(db.clone(), settings.key_cache_ttl)),
        clock: Arc::new(SystemClock),
        photo_ids: Arc::new(UlidPhotoIds),
        pool: Some(Arc::new(db.clone())),
    };
    let state = AppState::new(ports, settings.policy, settings.auth_failure_limit);
    let relay: Arc<dyn workorder_domain::EventRelay> = repo;
    let (backend, workers) = (db.backend(), settings.workers);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || app(state.clone()))
            .workers(workers)
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
        actix_web::rt::spawn(background::relay(relay));
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
            "listening on http://{address} (backend {backend}, schema {version}, {workers} workers, ready in {} ms)",
            started.elapsed().as_millis()
        );
        server.await.map_err(Failure::Server)?;
        log::info!("stopped");
        Ok(())
    })
}
