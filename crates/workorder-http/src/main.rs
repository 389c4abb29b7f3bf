//! The `workorder-http` binary: serves the API, migrates, and administers keys and work
//! orders. The only code that knows the domain, the infrastructure and the HTTP adapter: it
//! reads the configuration once, builds the adapters and wires them.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use clap::{Args, Parser, Subcommand};
use tokio::signal::unix::{SignalKind, signal};
use workorder_domain::{
    ApiKeyId, AttachPhoto, AttachPolicy, CdnHostPolicy, GetPhoto, ListPhotos, SystemClock, TenantId,
    UlidPhotoIds, ViewWorkOrder, WorkOrderId, WorkOrderStatus,
};
use workorder_http::{AppState, AuthFailureLimit, AuthLimiter, Metrics, PoolProbe, PoolSample, app};
use workorder_infra::{
    Database, DatabaseConfig, DatabaseUrl, DieselApiKeyVerifier, DieselWorkOrderRepo, KeyCacheTtl,
};

/// Attach photos to field-service work orders.
#[derive(Debug, Parser)]
#[command(name = "workorder-http", version)]
struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct DatabaseArgs {
    /// The database: sqlite://FILE (the embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://workorder.db",
        global = true,
        hide_env_values = true
    )]
    database_url: String,
    /// The most database connections this process holds.
    #[arg(long, env = "WORKORDER_DB_POOL_SIZE", default_value_t = 8, global = true)]
    db_pool_size: u32,
    /// How long a request waits for a database connection before it is answered 503, in ms.
    #[arg(long, env = "WORKORDER_DB_TIMEOUT_MS", default_value_t = 2000, global = true)]
    db_timeout_ms: u64,
    /// On PostgreSQL, how long a statement may run or wait for a lock before it is cancelled
    /// and the request answered 503, in ms.
    #[arg(long, env = "WORKORDER_DB_STATEMENT_TIMEOUT_MS", default_value_t = 5000, global = true)]
    db_statement_timeout_ms: u64,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "WORKORDER_BIND", default_value = "127.0.0.1:8080", global = true)]
    bind: String,
    /// CDN hosts a photo's cdnUrl may point at, comma-separated; unset: any host.
    #[arg(long, env = "WORKORDER_CDN_HOSTS", value_delimiter = ',', global = true)]
    cdn_hosts: Option<Vec<String>>,
    /// How far in the future takenAt may be, in seconds.
    #[arg(long, env = "WORKORDER_CLOCK_SKEW_SECS", default_value_t = 300, global = true)]
    clock_skew_secs: u32,
    /// How long a verified API key is trusted without reading the database, in seconds (0 to 30).
    #[arg(long, env = "WORKORDER_KEY_CACHE_TTL_SECS", default_value_t = 10, global = true)]
    key_cache_ttl_secs: u64,
    /// Failed authentications allowed per client address per minute before it is answered
    /// 429; 0 disables the limit.
    #[arg(long, env = "WORKORDER_AUTH_FAILURES_PER_MINUTE", default_value_t = 20, global = true)]
    auth_failures_per_minute: u32,
    /// HTTP worker threads; 0 means one per CPU.
    #[arg(long, env = "WORKORDER_WORKERS", default_value_t = 0, global = true)]
    workers: usize,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run pending migrations, then serve until SIGTERM or SIGINT (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage work orders.
    #[command(subcommand)]
    WorkOrder(WorkOrderCommand),
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints only the key on stdout (shown once), details on stderr.
    Create {
        /// The tenant the key acts for.
        #[arg(long)]
        tenant: TenantId,
        /// What the key is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys: id, tenant, label, created, revoked. Never the key.
    List {
        /// Only this tenant's keys.
        #[arg(long)]
        tenant: Option<TenantId>,
    },
    /// Revoke a key; every server refuses it within the key cache TTL.
    Revoke {
        /// The key's id (from `api-key list`).
        key_id: ApiKeyId,
    },
}

#[derive(Debug, Subcommand)]
enum WorkOrderCommand {
    /// Create a work order; prints only its id on stdout.
    Create {
        /// The tenant it belongs to.
        #[arg(long)]
        tenant: TenantId,
        /// Its id; a random UUID if absent.
        #[arg(long)]
        id: Option<WorkOrderId>,
        /// Its status.
        #[arg(long, default_value = "PLANNED")]
        status: WorkOrderStatus,
        /// Its title.
        #[arg(long)]
        title: Option<String>,
    },
    /// Change a work order's status.
    SetStatus {
        /// The work order.
        id: WorkOrderId,
        /// The new status.
        status: WorkOrderStatus,
        /// Its tenant, needed only if the id exists in several.
        #[arg(long)]
        tenant: Option<TenantId>,
    },
}

/// Configuration read once, typed, before anything starts.
struct Settings {
    database: DatabaseConfig,
    bind: String,
    policy: AttachPolicy,
    key_cache_ttl: KeyCacheTtl,
    auth_failure_limit: AuthFailureLimit,
    workers: usize,
}

impl Settings {
    fn from_cli(database: DatabaseArgs, serve: ServeArgs, serving: bool) -> Result<Self, String> {
        if serving {
            use std::net::ToSocketAddrs;
            let resolved = serve.bind.to_socket_addrs().map(|mut addrs| addrs.next().is_some());
            if !matches!(resolved, Ok(true)) {
                return Err(format!(
                    "WORKORDER_BIND {:?} is not an address and port, e.g. 127.0.0.1:8080",
                    serve.bind
                ));
            }
        }
        let url = DatabaseUrl::parse(&database.database_url).map_err(|e| e.to_string())?;
        let database = DatabaseConfig {
            pool_size: database.db_pool_size.max(1),
            connect_timeout: Duration::from_millis(database.db_timeout_ms.max(1)),
            statement_timeout: Duration::from_millis(database.db_statement_timeout_ms.max(1)),
            ..DatabaseConfig::new(url)
        };
        let cdn_hosts = match serve.cdn_hosts {
            None => CdnHostPolicy::Any,
            Some(hosts) => CdnHostPolicy::only(hosts).map_err(|e| format!("WORKORDER_CDN_HOSTS: {e}"))?,
        };
        let policy = AttachPolicy {
            cdn_hosts,
            max_clock_skew: time::Duration::seconds(i64::from(serve.clock_skew_secs)),
        };
        let key_cache_ttl = KeyCacheTtl::new(Duration::from_secs(serve.key_cache_ttl_secs))
            .map_err(|e| format!("WORKORDER_KEY_CACHE_TTL_SECS: {e}"))?;
        let workers = if serve.workers == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            serve.workers
        };
        let auth_failure_limit =
            AuthFailureLimit { failures: serve.auth_failures_per_minute, window: Duration::from_secs(60) };
        Ok(Self { database, bind: serve.bind, policy, key_cache_ttl, auth_failure_limit, workers })
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let rendered = error.render().to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or("error: invalid arguments"));
            return ExitCode::from(2);
        }
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let settings = match Settings::from_cli(cli.database, cli.serve, serving) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Serve), settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, whatever the driver's message looked like.
            eprintln!("error: {}", message.split_whitespace().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> Result<(), String> {
    let started = Instant::now();
    let db = Database::connect(&settings.database).map_err(|e| e.to_string())?;
    match command {
        Command::Serve => serve(db, settings, started),
        Command::Migrate => {
            let applied = db.migrate().map_err(|e| e.to_string())?;
            let version = db.schema_version().map_err(|e| e.to_string())?.unwrap_or_default();
            eprintln!("applied {} migration(s); schema version {version}", applied.len());
            Ok(())
        }
        Command::ApiKey(command) => {
            db.migrate().map_err(|e| e.to_string())?;
            api_key(&db, command)
        }
        Command::WorkOrder(command) => {
            db.migrate().map_err(|e| e.to_string())?;
            work_order(&db, command)
        }
    }
}

fn serve(db: Database, settings: Settings, started: Instant) -> Result<(), String> {
    db.migrate().map_err(|e| e.to_string())?;
    let version = db.schema_version().map_err(|e| e.to_string())?.unwrap_or_default();
    let listener =
        TcpListener::bind(&settings.bind).map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;

    let repo = Arc::new(DieselWorkOrderRepo::new(db.clone()));
    let state = AppState {
        attach: AttachPhoto::new(
            repo.clone(),
            Arc::new(SystemClock),
            Arc::new(UlidPhotoIds),
            settings.policy,
        ),
        view_work_order: ViewWorkOrder::new(repo.clone()),
        list_photos: ListPhotos::new(repo.clone()),
        get_photo: GetPhoto::new(repo.clone()),
        verifier: Arc::new(DieselApiKeyVerifier::new(db.clone(), settings.key_cache_ttl)),
        repo,
        metrics: Arc::new(Metrics::default()),
        pool: Some(Arc::new(DatabasePool(db.clone()))),
        auth_limiter: Arc::new(AuthLimiter::new(settings.auth_failure_limit)),
    };
    let backend = db.backend();
    let workers = settings.workers;
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
            .map_err(|e| format!("cannot listen on {address}: {e}"))?
            .run();
        let mut terminate = signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
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
        server.await.map_err(|e| format!("server failed: {e}"))?;
        log::info!("stopped");
        Ok(())
    })
}

/// The infrastructure's pool, as the HTTP adapter's metrics see it.
struct DatabasePool(Database);

impl PoolProbe for DatabasePool {
    fn sample(&self) -> PoolSample {
        let state = self.0.pool_state();
        PoolSample {
            connections: state.connections,
            idle: state.idle,
            max_size: state.max_size,
            waits: state.waits,
            timeouts: state.timeouts,
        }
    }
}

fn api_key(db: &Database, command: ApiKeyCommand) -> Result<(), String> {
    match command {
        ApiKeyCommand::Create { tenant, label } => {
            let key = db.create_api_key(tenant, &label).map_err(|e| e.to_string())?;
            eprintln!("created API key {} for tenant {}; it is shown once, below", key.id, key.tenant);
            println!("{}", key.secret.expose());
        }
        ApiKeyCommand::List { tenant } => {
            for key in db.list_api_keys(tenant.as_ref()).map_err(|e| e.to_string())? {
                let revoked = key.revoked_at.map_or_else(|| "-".to_owned(), rfc3339);
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.id,
                    key.tenant,
                    key.label,
                    rfc3339(key.created_at),
                    revoked
                );
            }
        }
        ApiKeyCommand::Revoke { key_id } => {
            db.revoke_api_key(key_id).map_err(|e| e.to_string())?;
            eprintln!("revoked API key {key_id}; every server refuses it within the key cache TTL");
        }
    }
    Ok(())
}

fn work_order(db: &Database, command: WorkOrderCommand) -> Result<(), String> {
    match command {
        WorkOrderCommand::Create { tenant, id, status, title } => {
            let id =
                db.create_work_order(&tenant, id, status, title.as_deref()).map_err(|e| e.to_string())?;
            eprintln!("created work order {id} ({status}) for tenant {tenant}");
            println!("{id}");
        }
        WorkOrderCommand::SetStatus { id, status, tenant } => {
            db.set_work_order_status(id, status, tenant.as_ref()).map_err(|e| e.to_string())?;
            eprintln!("work order {id} is now {status}");
        }
    }
    Ok(())
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.to_string())
}
