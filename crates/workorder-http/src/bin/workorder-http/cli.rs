//! The command line: subcommands, flags and the environment variables behind them.

use clap::{Args, Parser, Subcommand};
use workorder_domain::{
    ApiKeyId, ApiKeyLabel, SubscriptionId, TenantId, WebhookUrl, WorkOrderId, WorkOrderStatus,
};

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
    pub(crate) storage: crate::object_storage_settings::StorageArgs,
    #[command(flatten)]
    pub(crate) webhooks: WebhookArgs,
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

/// The flags only `serve` takes. Their environment variables are read by every command, as
/// before (a container sets them once for all), but a flag on another command is refused.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "WORKORDER_BIND", default_value = "127.0.0.1:8080")]
    pub(crate) bind: String,
    /// CDN hosts a photo's cdnUrl may point at, comma-separated; unset: any host.
    #[arg(long, env = "WORKORDER_CDN_HOSTS", value_delimiter = ',')]
    pub(crate) cdn_hosts: Option<Vec<String>>,
    /// How far in the future takenAt may be, in seconds.
    #[arg(long, env = "WORKORDER_CLOCK_SKEW_SECS", default_value_t = 300)]
    pub(crate) clock_skew_secs: u32,
    /// How long a verified API key is trusted without reading the database, in seconds (0 to 25: a revoked key is refused within 30 s in all).
    #[arg(long, env = "WORKORDER_KEY_CACHE_TTL_SECS", default_value_t = 10)]
    pub(crate) key_cache_ttl_secs: u64,
    /// Failed authentications allowed per client address per minute before it is answered
    /// 429; 0 disables the limit.
    #[arg(long, env = "WORKORDER_AUTH_FAILURES_PER_MINUTE", default_value_t = 20)]
    pub(crate) auth_failures_per_minute: u32,
    /// Load balancers whose X-Forwarded-For names the client, as comma-separated CIDR blocks
    /// or addresses; unset: X-Forwarded-For is ignored.
    #[arg(long, env = "WORKORDER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub(crate) trusted_proxies: Option<Vec<String>>,
    /// Client connections held at most (fewer if the descriptor limit is lower); each may
    /// buffer an unfinished request head of up to 128 KiB.
    #[arg(long, env = "WORKORDER_MAX_CONNECTIONS", default_value_t = 1024)]
    pub(crate) max_connections: usize,
    /// HTTP worker threads; 0 means one per CPU.
    #[arg(long, env = "WORKORDER_WORKERS", default_value_t = 0)]
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

#[derive(Debug, Args)]
pub(crate) struct WebhookArgs {
    /// The key webhook secrets are sealed under: base64 of 32 bytes. Needed to create a
    /// subscription, and to serve once one exists.
    #[arg(long, env = "WORKORDER_SECRETS_KEY", global = true, hide_env_values = true)]
    pub(crate) secrets_key: Option<String>,
    /// The first retry's wait, in ms; the n-th waits this × 2^(n−1), ±50 %, at most an hour.
    #[arg(long, env = "WORKORDER_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000, global = true)]
    pub(crate) webhook_retry_base_ms: u64,
    /// How old an event may get, in seconds, before its delivery is given up.
    #[arg(long, env = "WORKORDER_WEBHOOK_MAX_AGE_SECS", default_value_t = 86_400, global = true)]
    pub(crate) webhook_max_age_secs: u64,
    /// The longest a receiver may take to answer whole, in ms (the contract's 10 s; shorter in
    /// tests).
    #[arg(long, env = "WORKORDER_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub(crate) webhook_timeout_ms: u64,
    /// Allow webhook targets at loopback, private, link-local or unspecified addresses.
    #[arg(long, env = "WORKORDER_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true, action = clap::ArgAction::Set)]
    pub(crate) webhook_allow_private: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run pending migrations, then serve until SIGTERM or SIGINT (the default).
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage work orders.
    #[command(subcommand)]
    WorkOrder(WorkOrderCommand),
    /// Manage webhook subscriptions.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Ask the running server's /healthz: exit 0 on 200, else 1 with one line (a container's
    /// HEALTHCHECK). Touches no database.
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// What to ask; by default http://<WORKORDER_BIND>/healthz, on loopback if it binds all
    /// addresses.
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// How long the whole check may take, in ms.
    #[arg(long, default_value_t = 2000)]
    pub(crate) timeout_ms: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Subscribe a URL to a tenant's events; prints only its signing secret (shown once).
    Create {
        /// The tenant whose events it receives.
        #[arg(long)]
        tenant: TenantId,
        /// Where events are posted: http or https.
        #[arg(long)]
        url: WebhookUrl,
    },
    /// List subscriptions: id, tenant, url, created, state, failed deliveries. Never a secret.
    List {
        /// Only this tenant's.
        #[arg(long)]
        tenant: Option<TenantId>,
    },
    /// Delete a subscription: no longer listed or delivered to.
    Delete {
        /// Its id (from `webhook list`).
        #[arg(value_parser = parse_subscription_id)]
        id: SubscriptionId,
    },
    /// Deliver a subscription's failed deliveries again.
    Redeliver {
        /// Its id (from `webhook list`).
        #[arg(value_parser = parse_subscription_id)]
        id: SubscriptionId,
    },
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
        #[arg(value_parser = parse_key_id)]
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

/// The serving settings when no `serve` was given: the environment and the defaults alone.
#[derive(Debug, Parser)]
#[command(name = "workorder-http")]
struct ServeFromEnv {
    #[command(flatten)]
    serve: ServeArgs,
}

impl ServeArgs {
    /// Reads the serve settings from the environment, for the default command and the others.
    pub(crate) fn from_env() -> Result<Self, clap::Error> {
        ServeFromEnv::try_parse_from(["workorder-http"]).map(|parsed| parsed.serve)
    }
}

/// A key id, with an error that says what one looks like: ulid's own ("invalid length") does not.
fn parse_key_id(id: &str) -> Result<ApiKeyId, String> {
    id.parse().map_err(|_| ulid_expected("key", "api-key list"))
}

/// A subscription id, with the same kind of error as [`parse_key_id`].
fn parse_subscription_id(id: &str) -> Result<SubscriptionId, String> {
    id.parse().map_err(|_| ulid_expected("subscription", "webhook list"))
}

fn ulid_expected(what: &str, list: &str) -> String {
    format!(
        "not a {what} id: a {what} id is a ULID, 26 letters and digits such as \
         01JDQ8Z6K3V4W5X6Y7Z8A9B0C1, as the first column of `{list}` shows"
    )
}
