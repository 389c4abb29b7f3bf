//! The configuration, read once from the command line and the environment, typed and checked
//! before anything starts.

use std::net::ToSocketAddrs;
use std::time::Duration;

use workorder_domain::{AttachPolicy, CdnHostPolicy, InvalidCdnHost};
use workorder_http::{AuthFailureLimit, InvalidTrustedProxy, TrustedProxies};
use workorder_infra::{DatabaseConfig, DatabaseUrl, InvalidDatabaseUrl, KeyCacheTtl, KeyCacheTtlTooLong};

use crate::cli::{DatabaseArgs, ServeArgs};
use crate::object_storage_settings::{ObjectStorageSettings, StorageArgs, StorageSettingsError};

/// Everything the commands need, checked.
pub(crate) struct Settings {
    pub(crate) database: DatabaseConfig,
    pub(crate) bind: String,
    pub(crate) policy: AttachPolicy,
    pub(crate) key_cache_ttl: KeyCacheTtl,
    pub(crate) auth_failure_limit: AuthFailureLimit,
    pub(crate) trusted_proxies: TrustedProxies,
    pub(crate) max_connections: usize,
    pub(crate) workers: usize,
    pub(crate) object_storage: Option<ObjectStorageSettings>,
}

/// A setting that breaks its rule; the process exits 2 with this one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    /// `WORKORDER_BIND` names no address.
    #[error("WORKORDER_BIND {0:?} is not an address and port, e.g. 127.0.0.1:8080")]
    Bind(String),
    /// `DATABASE_URL` selects no backend.
    #[error(transparent)]
    DatabaseUrl(#[from] InvalidDatabaseUrl),
    /// A host of `WORKORDER_CDN_HOSTS` is not a host.
    #[error("WORKORDER_CDN_HOSTS: {0}")]
    CdnHosts(#[from] InvalidCdnHost),
    /// `WORKORDER_KEY_CACHE_TTL_SECS` breaks the revocation promise.
    #[error("WORKORDER_KEY_CACHE_TTL_SECS: {0}")]
    KeyCacheTtl(#[from] KeyCacheTtlTooLong),
    /// An entry of `WORKORDER_TRUSTED_PROXIES` is not a block or an address.
    #[error("WORKORDER_TRUSTED_PROXIES: {0}")]
    TrustedProxies(#[from] InvalidTrustedProxy),
    /// An object-storage setting breaks its rule.
    #[error(transparent)]
    Storage(#[from] StorageSettingsError),
}

impl Settings {
    /// Checks the arguments. The address to listen on is checked only when serving.
    pub(crate) fn from_cli(
        database: DatabaseArgs,
        serve: ServeArgs,
        storage: StorageArgs,
        serving: bool,
    ) -> Result<Self, SettingsError> {
        if serving {
            let resolved = serve.bind.to_socket_addrs().map(|mut addrs| addrs.next().is_some());
            if !matches!(resolved, Ok(true)) {
                return Err(SettingsError::Bind(serve.bind));
            }
        }
        let url = DatabaseUrl::parse(&database.database_url)?;
        let database = DatabaseConfig {
            pool_size: database.db_pool_size.max(1),
            connect_timeout: Duration::from_millis(database.db_timeout_ms.max(1)),
            statement_timeout: Duration::from_millis(database.db_statement_timeout_ms.max(1)),
            ..DatabaseConfig::new(url)
        };
        let cdn_hosts = match serve.cdn_hosts {
            None => CdnHostPolicy::Any,
            Some(hosts) => CdnHostPolicy::only(hosts)?,
        };
        let policy = AttachPolicy {
            cdn_hosts,
            max_clock_skew: time::Duration::seconds(i64::from(serve.clock_skew_secs)),
            cdn_base: storage.cdn_base()?,
        };
        let key_cache_ttl = KeyCacheTtl::new(Duration::from_secs(serve.key_cache_ttl_secs))?;
        let workers = if serve.workers == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            serve.workers
        };
        let auth_failure_limit =
            AuthFailureLimit { failures: serve.auth_failures_per_minute, window: Duration::from_secs(60) };
        let trusted_proxies = TrustedProxies::parse(&serve.trusted_proxies.unwrap_or_default())?;
        let object_storage = storage.object_storage()?;
        Ok(Self {
            database,
            bind: serve.bind,
            policy,
            key_cache_ttl,
            auth_failure_limit,
            trusted_proxies,
            max_connections: serve.max_connections.max(1),
            workers,
            object_storage,
        })
    }
}
