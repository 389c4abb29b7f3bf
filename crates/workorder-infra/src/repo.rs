//! The work-order repository on diesel.

use async_trait::async_trait;
use diesel::RunQueryDsl;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use workorder_domain::{
    AttachDecision, Attachment, Error, NewPhoto, PhotoCursor, PhotoId, PhotoView, PoolProbe, TenantId,
    WorkOrderId, WorkOrderReader, WorkOrderRepo, WorkOrderView,
};

use crate::connection::{AnyConnection, ping, write_transaction};
use crate::database::{Database, WriteState};
use crate::decide_attach::decide_attach;
use crate::failure::to_domain;
use crate::reads;
use crate::rows::{PhotoRow, to_utc_timestamp};

/// [`WorkOrderRepo`] and [`WorkOrderReader`] on SQLite or PostgreSQL. Calls run on tokio's blocking threads, so it
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

    pub(crate) fn database(&self) -> &Database {
        &self.db
    }
}

#[async_trait]
impl WorkOrderRepo for DieselWorkOrderRepo {
    async fn attach_photo(&self, photo: NewPhoto) -> Result<Attachment, Error> {
        self.db.attaches().attach(&self.db, photo).await
    }

    async fn decide_attach(&self, photo: &NewPhoto) -> Result<AttachDecision, Error> {
        let photo = photo.clone();
        self.db.run(move |conn| decide_attach(conn, &photo).map_err(to_domain)?).await
    }

    async fn ping(&self) -> Result<(), Error> {
        match self.db.write_state() {
            WriteState::Working => {}
            WriteState::Failing => return Err(Error::unavailable(WritesFailing)),
            // Ready again once a write commits: this one, of one row, clears the state.
            WriteState::Recheck => {
                return self.db.run_write(|conn| storage_check(conn).map_err(to_domain)).await;
            }
        }
        // Readiness asks whether the database answers, not whether one pooled connection
        // does: a connection that went stale while the database was away fails once (and
        // leaves the pool as broken), so the next one decides, up to one per pooled
        // connection. Any other failure means "not ready".
        for _ in 0..=self.db.sample().max_size {
            let answer = self
                .db
                .run(|conn| match ping(conn) {
                    Ok(()) => Ok(true),
                    Err(DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => Ok(false),
                    Err(e) => Err(Error::unavailable(e)),
                })
                .await?;
            if answer {
                return Ok(());
            }
        }
        Err(Error::unavailable("every pooled connection was closed"))
    }
}

/// Writes failed for want of storage a moment ago.
#[derive(Debug, thiserror::Error)]
#[error("writes failed for want of storage a moment ago")]
struct WritesFailing;

/// Rewrites the one row of `storage_checks`, in a write transaction that commits.
fn storage_check(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::sql_query("UPDATE storage_checks SET checked_at = CURRENT_TIMESTAMP WHERE id = 1")
            .execute(conn)
            .map(drop)
    })
}

#[async_trait]
impl WorkOrderReader for DieselWorkOrderRepo {
    async fn work_order(&self, tenant: &TenantId, id: WorkOrderId) -> Result<WorkOrderView, Error> {
        let (t, i) = (tenant.to_string(), id.to_string());
        let (row, count) = self
            .db
            .run(move |conn| reads::work_order(conn, &t, &i).map_err(to_domain))
            .await?
            .ok_or(Error::WorkOrderNotFound)?;
        Ok(WorkOrderView {
            id,
            status: row.status.parse().map_err(Error::internal)?,
            title: row.title,
            photo_count: u64::try_from(count).map_err(Error::internal)?,
            created_at: row.created_at.assume_utc(),
            updated_at: row.updated_at.assume_utc(),
        })
    }

    async fn photos(
        &self,
        tenant: &TenantId,
        id: WorkOrderId,
        after: Option<PhotoCursor>,
        limit: usize,
    ) -> Result<Vec<PhotoView>, Error> {
        let (t, i) = (tenant.to_string(), id.to_string());
        let after = after.map(|c| (to_utc_timestamp(c.taken_at().instant()), c.photo_id().to_string()));
        let limit = i64::try_from(limit).map_err(Error::internal)?;
        let rows = self
            .db
            .run(move |conn| reads::photos(conn, &t, &i, after, limit).map_err(to_domain))
            .await?
            .ok_or(Error::WorkOrderNotFound)?;
        rows.into_iter().map(PhotoRow::into_view).collect()
    }

    async fn photo(&self, tenant: &TenantId, id: WorkOrderId, photo_id: PhotoId) -> Result<PhotoView, Error> {
        let (t, i, p) = (tenant.to_string(), id.to_string(), photo_id.to_string());
        self.db
            .run(move |conn| reads::photo(conn, &t, &i, &p).map_err(to_domain))
            .await?
            .ok_or(Error::WorkOrderNotFound)?
            .ok_or(Error::PhotoNotFound)?
            .into_view()
    }
}
