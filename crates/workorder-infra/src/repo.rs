//! The work-order repository on diesel.

use async_trait::async_trait;
use workorder_domain::{Attachment, Error, NewPhoto, WorkOrderRepo};

use crate::database::{Database, to_domain};

/// [`WorkOrderRepo`] on SQLite or PostgreSQL. Calls run on tokio's blocking threads, so it
/// must be used from within a tokio runtime (actix-web's is one).
#[derive(Debug, Clone)]
pub struct DieselWorkOrderRepo {
    db: Database,
}

impl DieselWorkOrderRepo {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl WorkOrderRepo for DieselWorkOrderRepo {
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error> {
        self.db.run(move |store| store.attach_photo(&photo).map_err(to_domain)?).await
    }

    async fn ping(&self) -> Result<(), Error> {
        // A ping that fails for any reason means "not ready".
        self.db.run(|store| store.ping().map_err(Error::unavailable)).await
    }
}
