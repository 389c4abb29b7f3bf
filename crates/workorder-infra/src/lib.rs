//! The work-order ports implemented with diesel and r2d2, on SQLite (the embedded default) and
//! PostgreSQL (production), through one code path: every statement is written once in
//! `store.rs` and compiled for each backend; the only statement of one backend alone is
//! PostgreSQL's one-round-trip attach of a new photo (`one_statement.rs`).
//!
//! - [`Database`]: the pool, migrations, and the operators' commands (keys, work orders).
//! - [`DieselWorkOrderRepo`]: the domain's `WorkOrderRepo`, atomic attach included.
//! - [`DieselApiKeyVerifier`]: the domain's `ApiKeyVerifier`, with a cache of at most 30 s.
//!
//! Database work runs on tokio's blocking threads (`spawn_blocking`), never on the caller's
//! async workers, so the adapters need a tokio runtime but not actix.

mod admin;
mod api_keys;
mod database;
mod one_statement;
mod repo;
mod schema;
mod store;

#[cfg(feature = "testing")]
pub mod testing;

pub use admin::ApiKeyInfo;
pub use api_keys::{DieselApiKeyVerifier, KeyCacheTtl, KeyCacheTtlTooLong, NewApiKey, RandomSourceFailed};
pub use database::{
    Backend, ConnectError, Database, DatabaseConfig, DatabaseUrl, InfraError, InvalidDatabaseUrl, PoolState,
};
pub use repo::DieselWorkOrderRepo;
