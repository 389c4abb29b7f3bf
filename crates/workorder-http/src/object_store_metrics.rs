//! The object store as the metrics see it: a wrapper of the port that times every call and
//! labels it with its result, so a store that is down shows in `/metrics` (`/readyz` does not
//! look at it: only the database decides readiness).

use std::sync::Arc;
use std::time::Instant;

use workorder_domain::async_trait;
use workorder_domain::{
    Error, ErrorKind, ObjectKey, ObjectStore, PresignedUpload, StoredObject, UploadRequest,
};

use crate::Metrics;

/// An [`ObjectStore`] whose calls are observed.
pub(crate) struct Metered {
    store: Arc<dyn ObjectStore>,
    metrics: Arc<Metrics>,
}

impl Metered {
    pub(crate) fn new(store: Arc<dyn ObjectStore>, metrics: Arc<Metrics>) -> Self {
        Self { store, metrics }
    }
}

fn result_of<T>(answer: &Result<T, Error>) -> &'static str {
    match answer {
        Ok(_) => "ok",
        Err(e) if e.kind() == ErrorKind::Unavailable => "unavailable",
        Err(_) => "error",
    }
}

#[async_trait]
impl ObjectStore for Metered {
    async fn describe(&self, key: &ObjectKey, first_bytes: usize) -> Result<Option<StoredObject>, Error> {
        let started = Instant::now();
        let answer = self.store.describe(key, first_bytes).await;
        let result = match &answer {
            Ok(None) => "not_found",
            other => result_of(other),
        };
        self.metrics.observe_object_store("describe", result, started.elapsed().as_secs_f64());
        answer
    }

    async fn presign_upload(&self, upload: &UploadRequest) -> Result<PresignedUpload, Error> {
        let started = Instant::now();
        let answer = self.store.presign_upload(upload).await;
        self.metrics.observe_object_store("presign", result_of(&answer), started.elapsed().as_secs_f64());
        answer
    }
}
