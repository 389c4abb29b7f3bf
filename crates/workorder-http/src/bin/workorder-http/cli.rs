//! The command line: subcommands, flags and the environment variables behind them.

use clap::{Args, Parser, Subcommand};
use workorder_domain::{ApiKeyId, ApiKeyLabel, TenantId, WorkOrderId, WorkOrderStatus};

/// Attach photos to field-service work orders.
#[derive(Debug, Parser)]
#[command(name = "workorder-http", version)]
pub(crate) struct Cli {
    /// How log lines are written: `text` for people, `json` (one object a line) for log
    /// pipelines.
    #[arg(long, env = "WORKORDER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub(crate) log_format: LogFormat,
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
    #[command(flatten)]
    pub(crate) storage: crate::object_storage_settings::StorageArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Args)]
pub(crate) struct DatabaseArgs {
    /// The database: sqlite://FILE (the embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://workorder.db",
        global = true,
        hide_env_values = true
    )]
    pub(crate) database_url: String,
    /// The most database connections this process holds.
    #[arg(long, env = "WORKORDER_DB_POOL_SIZE", default_value_t = 8, global = true)]
    pub(crate) db_pool_size: u32,
    /// How long a request waits for a database connection before it is answered 503, in ms.
    #[arg(long, env = "WORKORDER_DB_TIMEOUT_MS", default_value_t = 2000, global = true)]
    pub(crate) db_timeout_ms: u64,
    /// On PostgreSQL, how long a statement may run or wait for a lock before it is cancelled
    /// and the request answered 503, in ms.
    #[arg(long, env = "WORKORDER_DB_STATEMENT_TIMEOUT_MS", default_value_t = 5000, global = true)]
    pub(crate) db_statement_timeout_ms: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "WORKORDER_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub(crate) bind: String,
    /// CDN hosts a photo's cdnUrl may point at, comma-separated; unset: any host.
    #[arg(long, env = "WORKORDER_CDN_HOSTS", value_delimiter = ',', global = true)]
    pub(crate) cdn_hosts: Option<Vec<String>>,
    /// How far in the future takenAt may be, in seconds.
    #[arg(long, env = "WORKORDER_CLOCK_SKEW_SECS", default_value_t = 300, global = true)]
    pub(crate) clock_skew_secs: u32,
    /// How long a verified API key is trusted without reading the database, in seconds (0 to 25: a revoked key is refused within 30 s in all).
    #[arg(long, env = "WORKORDER_KEY_CACHE_TTL_SECS", default_value_t = 10, global = true)]
    pub(crate) key_cache_ttl_secs: u64,
    /// Failed authentications allowed per client address per minute before it is answered
    /// 429; 0 disables the limit.
    #[arg(long, env = "WORKORDER_AUTH_FAILURES_PER_MINUTE", default_value_t = 20, global = true)]
    pub(crate) auth_failures_per_minute: u32,
    /// Load balancers whose X-Forwarded-For names the client, as comma-separated CIDR blocks
    /// or addresses; unset: X-Forwarded-For is ignored.
    #[arg(long, env = "WORKORDER_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub(crate) trusted_proxies: Option<Vec<String>>,
    /// Client connections held at most (fewer if the descriptor limit is lower); each may
    /// buffer an unfinished request head of up to 128 KiB.
    #[arg(long, env = "WORKORDER_MAX_CONNECTIONS", default_value_t = 1024, global = true)]
    pub(crate) max_connections: usize,
    /// HTTP worker threads; 0 means one per CPU.
    #[arg(long, env = "WORKORDER_WORKERS", default_value_t = 0, global = true)]
    pub(crate) workers: usize,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// `[time LEVEL target] message key=value ...`.
    Text,
    /// `{"ts": ..., "level": ..., "target": ..., "msg": ..., key: value ...}`.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum ApiKeyCommand {
    /// Create a key; prints only the key on stdout (shown once), details on stderr.
    Create {
        /// The tenant the key acts for.
        #[arg(long)]
        tenant: TenantId,
        /// What the key is for.
        #[arg(long, default_value = "")]
        label: ApiKeyLabel,
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
pub(crate) enum WorkOrderCommand {
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
