//! The `workorder-http` binary: serves the API, migrates, and administers keys and work
//! orders. The only code that knows the domain, the infrastructure and the HTTP adapter: it
//! reads the configuration once, builds the adapters and wires them. `main` only parses,
//! reads settings and hands over to a command.

mod api_key_commands;
mod background;
mod cli;
mod healthcheck;
mod logging;
mod object_storage_settings;
#[cfg(feature = "otlp")]
mod otlp;
mod server;
mod settings;
mod webhook_commands;
mod webhook_settings;
mod work_order_commands;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use workorder_domain::{ApiKeyAdminError, WebhookAdminError, WorkOrderAdminError};
use workorder_infra::{Database, InfraError, ObjectStoreCheckError, one_line};

use crate::cli::{Cli, Command, ServeArgs, WebhookCommand};
use crate::settings::Settings;
use crate::webhook_settings::WebhookSettings;

/// Why a command failed once its settings were good; the process exits 1 with this one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The database could not be reached or migrated.
    #[error(transparent)]
    Database(#[from] InfraError),
    /// The address to listen on is taken or refused.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// A signal handler could not be installed.
    #[error("cannot handle {signal}: {source}")]
    Signal {
        /// Which signal.
        signal: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The async runtime of a command could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The server stopped on an error.
    #[error("server failed: {0}")]
    Server(std::io::Error),
    /// A command on keys failed.
    #[error(transparent)]
    ApiKey(#[from] ApiKeyAdminError),
    /// A command on work orders failed.
    #[error(transparent)]
    WorkOrder(#[from] WorkOrderAdminError),
    /// The object store is unreachable or has no such bucket at start.
    #[error(transparent)]
    ObjectStore(#[from] ObjectStoreCheckError),
    /// A command on webhooks failed.
    #[error(transparent)]
    Webhook(#[from] WebhookAdminError),
    /// Subscriptions exist, so serving needs the key their secrets are sealed under.
    #[error(
        "webhook subscriptions exist but WORKORDER_SECRETS_KEY is not set: their secrets cannot be opened"
    )]
    NoSecretsKey,
    /// The store failed at start-up.
    #[error("cannot read the webhook subscriptions: {0}")]
    Store(#[source] workorder_domain::Error),
}

/// Where a request's spans go, when the settings ask for an export.
#[cfg(feature = "otlp")]
type Traces = std::sync::Arc<otlp::Traces>;

/// The OpenTelemetry export the settings ask for (the `otlp` feature).
#[cfg(feature = "otlp")]
fn traces() -> Result<Option<Traces>, otlp::OtlpSettingsError> {
    otlp::Traces::from_env()
}

/// Without the `otlp` feature there is no export; a setting that asks for one is answered by a
/// warning, not silence.
#[cfg(not(feature = "otlp"))]
fn traces() -> Result<Option<Traces>, std::convert::Infallible> {
    for name in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
        if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
            log::warn!(
                "{name} is set, but this binary was built without the otlp feature: no spans are exported"
            );
        }
    }
    Ok(None)
}

/// No export can be made without the feature: the type has no value.
#[cfg(not(feature = "otlp"))]
#[derive(Clone)]
enum Traces {}

/// Runs the request `answer`, exporting its spans when `traces` is set.
#[cfg(feature = "otlp")]
use otlp::traced;

#[cfg(not(feature = "otlp"))]
async fn traced<F: std::future::Future>(_: Option<Traces>, answer: F) -> F::Output {
    answer.await
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => return bad_usage(&error),
    };
    if let Some(Command::Healthcheck(args)) = &cli.command {
        // Before the settings: a probe needs no database and logs nothing but its verdict.
        return healthcheck::run(args);
    }
    logging::init(cli.log_format);
    // Serving is the default command; every command reads the serve settings' environment.
    let command = match cli.command.map_or_else(|| ServeArgs::from_env().map(Command::Serve), Ok) {
        Ok(command) => command,
        Err(error) => return bad_usage(&error),
    };
    let serve = match &command {
        Command::Serve(serve) => Ok(serve.clone()),
        _ => ServeArgs::from_env(),
    };
    let serve = match serve {
        Ok(serve) => serve,
        Err(error) => return bad_usage(&error),
    };
    let settings =
        match Settings::from_cli(cli.database, serve, cli.storage, matches!(command, Command::Serve(_))) {
            Ok(settings) => settings,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
    let webhooks = match WebhookSettings::from_cli(cli.webhooks) {
        Ok(webhooks) => webhooks,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if matches!(command, Command::Webhook(WebhookCommand::Create { .. })) && webhooks.secrets_key.is_none() {
        eprintln!(
            "error: webhook create needs WORKORDER_SECRETS_KEY (base64 of 32 bytes) to store the secret"
        );
        return ExitCode::from(2);
    }
    // Only serving exports spans; its settings are checked with the others.
    let traces = match matches!(command, Command::Serve(_)).then(traces).transpose() {
        Ok(traces) => traces.flatten(),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match run(command, settings, webhooks, traces, started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever the driver's message looked like.
            eprintln!("error: {}", one_line(&error.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Bad usage: clap's whole message (what is wrong, the usage line, where help is), exit 2.
fn bad_usage(error: &clap::Error) -> ExitCode {
    eprint!("{}", error.render());
    ExitCode::from(2)
}

fn run(
    command: Command,
    settings: Settings,
    webhooks: WebhookSettings,
    traces: Option<Traces>,
    started: Instant,
) -> Result<(), Failure> {
    let db = Database::connect(&settings.database)?;
    match command {
        Command::Serve(_) => server::serve(db, settings, webhooks, traces, started),
        Command::Migrate => {
            let applied = db.migrate()?;
            let version = db.schema_version()?.unwrap_or_default();
            eprintln!("applied {} migration(s); schema version {version}", applied.len());
            Ok(())
        }
        Command::ApiKey(command) => {
            db.migrate()?;
            on_runtime(api_key_commands::run(&db, command))
        }
        Command::WorkOrder(command) => {
            db.migrate()?;
            on_runtime(work_order_commands::run(&db, command))
        }
        Command::Webhook(command) => {
            db.migrate()?;
            on_runtime(webhook_commands::run(&db, webhooks, command))
        }
        Command::Healthcheck(_) => unreachable!("main runs the healthcheck before any settings"),
    }
}

/// Runs an operator's command on a runtime of its own: the adapters hand database work to
/// tokio's blocking threads.
pub(crate) fn on_runtime<T>(command: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)?
        .block_on(command)
}
