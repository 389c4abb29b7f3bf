//! The domain's `ObjectStore` on any S3-compatible server (MinIO, AWS S3, s3s), path-style.
//!
//! Every request is a SigV4 presigned URL made by `rusty-s3` (signing only, no I/O): uploads
//! for clients, and the HEAD, ranged GET and bucket check the service sends itself with
//! `ureq`, a small blocking HTTP client, on tokio's blocking threads, each call bounded by the
//! configured timeout so a store that hangs is answered 503, never waited on.

mod config;
mod store;
mod transport;

pub use config::{InvalidS3Config, S3Config, S3Secret};
pub use store::{ObjectStoreCheckError, S3ObjectStore};
