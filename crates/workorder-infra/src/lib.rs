//! The work-order ports implemented with diesel and r2d2, on SQLite (the embedded default) and
//! PostgreSQL (production), through one code path: a statement both backends share is written
//! once against diesel's multi-backend connection; the few that differ match on the backend
//! and hold only the difference (`connection.rs`).
//!
//! - [`Database`]: the pool and migrations.
//! - [`DieselWorkOrderRepo`]: the domain's `WorkOrderRepo`, `WorkOrderReader`,
//!   `WorkOrderRegistry`, `EventFeed` and `EventRelay`; the attach is atomic and writes its
//!   event to the outbox in the same transaction.
//! - [`DieselApiKeyVerifier`]: the domain's `ApiKeyVerifier`, with a bounded cache of at most 25 s.
//! - [`DieselApiKeyRegistry`]: the domain's `ApiKeyRegistry`.
//! - [`S3ObjectStore`]: the domain's `ObjectStore` on an S3-compatible server.
//! - [`DieselWebhookRegistry`], [`DieselDeliveryQueue`]: the domain's `WebhookRegistry` and
//!   `DeliveryQueue`; secrets sealed under a [`SecretsKey`].
//! - [`DatabaseCalls`]: the database calls a request made, for tracing them.
//!
//! Database work runs on tokio's blocking threads (`spawn_blocking`), never on the caller's
//! async workers, so the adapters need a tokio runtime but not actix.

mod admission;
mod api_key_registry;
mod api_keys;
mod attach;
mod attach_batch;
mod attach_queue;
mod connection;
mod database;
mod database_calls;
mod database_url;
mod decide_attach;
mod deliveries;
mod error;
mod event_feed;
mod failure;
mod migrations;
mod outbox;
mod pg_attach_batch;
mod reads;
mod repo;
mod rows;
mod s3;
mod schema;
mod secrets;
mod sqlite_attach_batch;
mod webhook_registry;
mod work_order_registry;

#[cfg(feature = "testing")]
pub mod testing;

pub use admission::with_deadline;
pub use api_key_registry::DieselApiKeyRegistry;
pub use api_keys::{DieselApiKeyVerifier, KeyCacheTtl, KeyCacheTtlTooLong, RandomSourceFailed, generate_key};
pub use connection::{ConnectError, one_line};
pub use database::{Database, DatabaseConfig};
pub use database_calls::{DatabaseCall, DatabaseCalls, DatabaseOperation};
pub use database_url::{Backend, DatabaseUrl, InvalidDatabaseUrl};
pub use deliveries::DieselDeliveryQueue;
pub use error::InfraError;
pub use repo::DieselWorkOrderRepo;
pub use s3::{InvalidS3Config, ObjectStoreCheckError, S3Config, S3ObjectStore, S3Secret};
pub use secrets::{InvalidSecretsKey, SealError, SecretsKey};
pub use webhook_registry::DieselWebhookRegistry;
