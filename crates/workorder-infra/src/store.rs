//! Every statement the adapters run, written once and compiled for each backend.
//!
//! `Store` is implemented for `PgConnection` and `SqliteConnection` by one macro, so there is
//! one copy of each query. The two differences are arguments of the macro: how a write
//! transaction begins (SQLite's must be `IMMEDIATE`, or a read-then-write transaction fails at
//! once with SQLITE_BUSY when another writer holds the lock) and how the work order's row is
//! locked while a photo is attached (`FOR SHARE` on PostgreSQL, so a concurrent status change
//! waits; SQLite's immediate transaction already excludes other writers).

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use workorder_domain::{
    Attachment, BoxError, CdnUrl, Disposition, Error, NewPhoto, ObjectKey, PhotoId, PhotoView, Step, TakenAt,
    WorkOrderStatus,
};

use crate::schema::{api_keys, photos, work_orders};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An API key as stored: the hash of its secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct ApiKeyRow {
    pub(crate) tenant_id: String,
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) secret_hash: Vec<u8>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) revoked_at: Option<PrimitiveDateTime>,
}

/// A work order as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = work_orders)]
pub(crate) struct WorkOrderRow {
    pub(crate) tenant_id: String,
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) title: Option<String>,
    pub(crate) created_at: PrimitiveDateTime,
    pub(crate) updated_at: PrimitiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = photos)]
struct NewPhotoRow<'a> {
    tenant_id: &'a str,
    id: String,
    work_order_id: String,
    object_key: &'a str,
    cdn_url: &'a str,
    taken_at: PrimitiveDateTime,
    step: Option<&'a str>,
    created_at: PrimitiveDateTime,
    api_key_id: String,
}

/// A photo as the read side reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = photos)]
pub(crate) struct PhotoRow {
    id: String,
    object_key: String,
    cdn_url: String,
    taken_at: PrimitiveDateTime,
    step: Option<String>,
    created_at: PrimitiveDateTime,
}

impl PhotoRow {
    /// The domain's view; a row that breaks a rule is a fault of ours, not the client's.
    pub(crate) fn into_view(self) -> Result<PhotoView, Error> {
        Ok(PhotoView {
            photo_id: self.id.parse().map_err(Error::internal)?,
            object_key: ObjectKey::parse(&self.object_key).map_err(Error::internal)?,
            cdn_url: CdnUrl::parse(&self.cdn_url).map_err(Error::internal)?,
            taken_at: TakenAt::from_instant(self.taken_at.assume_utc()).map_err(Error::internal)?,
            step: self.step.as_deref().map(Step::parse).transpose().map_err(Error::internal)?,
            created_at: self.created_at.assume_utc(),
        })
    }
}

/// The part of a recorded photo that decides between a retry and a conflict.
#[derive(Debug, Queryable)]
struct RecordedPhoto {
    id: String,
    cdn_url: String,
    taken_at: PrimitiveDateTime,
    step: Option<String>,
}

/// The statements, one method each; see the module's documentation.
pub(crate) trait Store {
    fn ping(&mut self) -> QueryResult<()>;
    /// The attach of [`workorder_domain::WorkOrderRepo::attach_photo`], in one transaction.
    /// The outer error is the database's; the inner one is the domain's answer.
    fn attach_photo(&mut self, photo: &NewPhoto) -> QueryResult<Result<Attachment, Error>>;
    /// The same in one round trip when the backend can and the photo is new; `None` when the
    /// answer needs [`Store::attach_photo`].
    fn attach_new_photo_in_one_statement(
        &mut self,
        _photo: &NewPhoto,
    ) -> QueryResult<Option<Result<Attachment, Error>>> {
        Ok(None)
    }
    /// The work order and its photo count.
    fn work_order(&mut self, tenant: &str, id: &str) -> QueryResult<Option<(WorkOrderRow, i64)>>;
    /// At most `limit` photos after `after` (takenAt, id), or `None` if the work order is not
    /// in the tenant.
    fn photos(
        &mut self,
        tenant: &str,
        id: &str,
        after: Option<(PrimitiveDateTime, String)>,
        limit: i64,
    ) -> QueryResult<Option<Vec<PhotoRow>>>;
    /// `None` if the work order is not in the tenant, else the photo if it is on it.
    fn photo(&mut self, tenant: &str, id: &str, photo_id: &str) -> QueryResult<Option<Option<PhotoRow>>>;
    fn find_api_key(&mut self, tenant: &str, id: &str) -> QueryResult<Option<ApiKeyRow>>;
    fn insert_api_key(&mut self, row: &ApiKeyRow) -> QueryResult<()>;
    fn list_api_keys(&mut self, tenant: Option<&str>) -> QueryResult<Vec<ApiKeyRow>>;
    /// Revokes the key with this id in any tenant; the number of keys revoked.
    fn revoke_api_key(&mut self, id: &str, at: PrimitiveDateTime) -> QueryResult<usize>;
    fn api_key_exists(&mut self, id: &str) -> QueryResult<bool>;
    /// Inserts unless a work order with the same tenant and id exists; the number inserted.
    fn insert_work_order(&mut self, row: &WorkOrderRow) -> QueryResult<usize>;
    /// The tenants that have a work order with this id (within `tenant` if given).
    fn work_order_tenants(&mut self, id: &str, tenant: Option<&str>) -> QueryResult<Vec<String>>;
    fn update_work_order_status(
        &mut self,
        tenant: &str,
        id: &str,
        status: &str,
        at: PrimitiveDateTime,
    ) -> QueryResult<usize>;
    fn migrate(&mut self) -> Result<Vec<String>, BoxError>;
    fn schema_version(&mut self) -> Result<Option<String>, BoxError>;
}

/// Instants are stored as UTC `TIMESTAMP`, to the microsecond.
pub(crate) fn to_utc_timestamp(instant: OffsetDateTime) -> PrimitiveDateTime {
    let utc = instant.to_offset(UtcOffset::UTC);
    let micros = utc.replace_nanosecond(utc.nanosecond() / 1_000 * 1_000).unwrap_or(utc);
    PrimitiveDateTime::new(micros.date(), micros.time())
}

/// Whether `recorded` is `photo` again (a retry), or other data under the same key.
fn judge(photo: &NewPhoto, recorded: RecordedPhoto, status: WorkOrderStatus) -> Result<Attachment, Error> {
    let photo_id: PhotoId = recorded.id.parse().map_err(Error::internal)?;
    let cdn_url = CdnUrl::parse(&recorded.cdn_url).map_err(Error::internal)?;
    let taken_at = TakenAt::from_instant(recorded.taken_at.assume_utc()).map_err(Error::internal)?;
    let step = recorded.step.as_deref().map(Step::parse).transpose().map_err(Error::internal)?;
    if photo.same_data_as(&cdn_url, taken_at, step.as_ref()) {
        Ok(Attachment { photo_id, status, disposition: Disposition::AlreadyAttached })
    } else if !status.accepts_photos() {
        Err(Error::WorkOrderClosed(status))
    } else {
        Err(Error::PhotoConflict)
    }
}

macro_rules! impl_store {
    ($conn:ty, $migrations:expr, begin_write = $begin_write:ident, lock_work_order = |$q:ident| $lock:expr) => {
        impl_store!($conn, $migrations, begin_write = $begin_write, lock_work_order = |$q| $lock, one_statement = );
    };
    (
        $conn:ty,
        $migrations:expr,
        begin_write = $begin_write:ident,
        lock_work_order = |$q:ident| $lock:expr,
        one_statement = $($one:ident)?
    ) => {
        impl Store for $conn {
            $(
                fn attach_new_photo_in_one_statement(
                    &mut self,
                    photo: &NewPhoto,
                ) -> QueryResult<Option<Result<Attachment, Error>>> {
                    $one(self, photo)
                }
            )?

            fn ping(&mut self) -> QueryResult<()> {
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).execute(self).map(|_| ())
            }

            fn attach_photo(&mut self, photo: &NewPhoto) -> QueryResult<Result<Attachment, Error>> {
                let tenant = photo.tenant.as_str();
                let work_order_id = photo.work_order_id.to_string();
                let find_recorded = || {
                    photos::table
                        .filter(photos::tenant_id.eq(tenant))
                        .filter(photos::work_order_id.eq(&work_order_id))
                        .filter(photos::object_key.eq(photo.object_key.as_str()))
                        .select((photos::id, photos::cdn_url, photos::taken_at, photos::step))
                };
                self.$begin_write(|c| {
                    let $q = work_orders::table.find((tenant, &work_order_id)).select(work_orders::status);
                    let Some(status) = $lock.first::<String>(c).optional()? else {
                        return Ok(Err(Error::WorkOrderNotFound));
                    };
                    let status: WorkOrderStatus = match status.parse() {
                        Ok(status) => status,
                        Err(e) => return Ok(Err(Error::internal(e))),
                    };
                    if let Some(recorded) = find_recorded().first::<RecordedPhoto>(c).optional()? {
                        return Ok(judge(photo, recorded, status));
                    }
                    if !status.accepts_photos() {
                        return Ok(Err(Error::WorkOrderClosed(status)));
                    }
                    let row = NewPhotoRow {
                        tenant_id: tenant,
                        id: photo.photo_id.to_string(),
                        work_order_id: work_order_id.clone(),
                        object_key: photo.object_key.as_str(),
                        cdn_url: photo.cdn_url.as_str(),
                        taken_at: to_utc_timestamp(photo.taken_at.instant()),
                        step: photo.step.as_ref().map(Step::as_str),
                        created_at: to_utc_timestamp(photo.recorded_at),
                        api_key_id: photo.attached_by.to_string(),
                    };
                    let inserted = diesel::insert_into(photos::table)
                        .values(&row)
                        .on_conflict((photos::tenant_id, photos::work_order_id, photos::object_key))
                        .do_nothing()
                        .execute(c)?;
                    if inserted == 1 {
                        return Ok(Ok(Attachment {
                            photo_id: photo.photo_id,
                            status,
                            disposition: Disposition::Created,
                        }));
                    }
                    // A racing transaction recorded the same key after our look-up and has
                    // committed (the insert waited for it): judge its photo as a retry.
                    match find_recorded().first::<RecordedPhoto>(c).optional()? {
                        Some(recorded) => Ok(judge(photo, recorded, status)),
                        None => Ok(Err(Error::internal("insert skipped but no photo under the key"))),
                    }
                })
            }

            fn work_order(&mut self, tenant: &str, id: &str) -> QueryResult<Option<(WorkOrderRow, i64)>> {
                let Some(row) = work_orders::table
                    .find((tenant, id))
                    .select(WorkOrderRow::as_select())
                    .first(self)
                    .optional()?
                else {
                    return Ok(None);
                };
                let count = photos::table
                    .filter(photos::tenant_id.eq(tenant))
                    .filter(photos::work_order_id.eq(id))
                    .count()
                    .get_result(self)?;
                Ok(Some((row, count)))
            }

            fn photos(
                &mut self,
                tenant: &str,
                id: &str,
                after: Option<(PrimitiveDateTime, String)>,
                limit: i64,
            ) -> QueryResult<Option<Vec<PhotoRow>>> {
                let exists: bool = diesel::select(diesel::dsl::exists(work_orders::table.find((tenant, id))))
                    .get_result(self)?;
                if !exists {
                    return Ok(None);
                }
                let mut query = photos::table
                    .filter(photos::tenant_id.eq(tenant))
                    .filter(photos::work_order_id.eq(id))
                    .select(PhotoRow::as_select())
                    .into_boxed();
                if let Some((taken_at, photo_id)) = after {
                    query = query.filter(
                        photos::taken_at
                            .gt(taken_at)
                            .or(photos::taken_at.eq(taken_at).and(photos::id.gt(photo_id))),
                    );
                }
                query.order((photos::taken_at, photos::id)).limit(limit).load(self).map(Some)
            }

            fn photo(
                &mut self,
                tenant: &str,
                id: &str,
                photo_id: &str,
            ) -> QueryResult<Option<Option<PhotoRow>>> {
                let exists: bool = diesel::select(diesel::dsl::exists(work_orders::table.find((tenant, id))))
                    .get_result(self)?;
                if !exists {
                    return Ok(None);
                }
                photos::table
                    .find((tenant, photo_id))
                    .filter(photos::work_order_id.eq(id))
                    .select(PhotoRow::as_select())
                    .first(self)
                    .optional()
                    .map(Some)
            }

            fn find_api_key(&mut self, tenant: &str, id: &str) -> QueryResult<Option<ApiKeyRow>> {
                api_keys::table.find((tenant, id)).select(ApiKeyRow::as_select()).first(self).optional()
            }

            fn insert_api_key(&mut self, row: &ApiKeyRow) -> QueryResult<()> {
                diesel::insert_into(api_keys::table).values(row).execute(self).map(|_| ())
            }

            fn list_api_keys(&mut self, tenant: Option<&str>) -> QueryResult<Vec<ApiKeyRow>> {
                let mut query = api_keys::table.select(ApiKeyRow::as_select()).into_boxed();
                if let Some(tenant) = tenant {
                    query = query.filter(api_keys::tenant_id.eq(tenant));
                }
                query.order((api_keys::tenant_id, api_keys::created_at, api_keys::id)).load(self)
            }

            fn revoke_api_key(&mut self, id: &str, at: PrimitiveDateTime) -> QueryResult<usize> {
                diesel::update(
                    api_keys::table.filter(api_keys::id.eq(id)).filter(api_keys::revoked_at.is_null()),
                )
                .set(api_keys::revoked_at.eq(at))
                .execute(self)
            }

            fn api_key_exists(&mut self, id: &str) -> QueryResult<bool> {
                diesel::select(diesel::dsl::exists(api_keys::table.filter(api_keys::id.eq(id))))
                    .get_result(self)
            }

            fn insert_work_order(&mut self, row: &WorkOrderRow) -> QueryResult<usize> {
                diesel::insert_into(work_orders::table)
                    .values(row)
                    .on_conflict((work_orders::tenant_id, work_orders::id))
                    .do_nothing()
                    .execute(self)
            }

            fn work_order_tenants(&mut self, id: &str, tenant: Option<&str>) -> QueryResult<Vec<String>> {
                let mut query = work_orders::table
                    .filter(work_orders::id.eq(id))
                    .select(work_orders::tenant_id)
                    .into_boxed();
                if let Some(tenant) = tenant {
                    query = query.filter(work_orders::tenant_id.eq(tenant));
                }
                query.load(self)
            }

            fn update_work_order_status(
                &mut self,
                tenant: &str,
                id: &str,
                status: &str,
                at: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                diesel::update(work_orders::table.find((tenant, id)))
                    .set((work_orders::status.eq(status), work_orders::updated_at.eq(at)))
                    .execute(self)
            }

            fn migrate(&mut self) -> Result<Vec<String>, BoxError> {
                let applied = self.run_pending_migrations($migrations)?;
                Ok(applied.iter().map(ToString::to_string).collect())
            }

            fn schema_version(&mut self) -> Result<Option<String>, BoxError> {
                let applied = self.applied_migrations()?;
                Ok(applied.iter().map(ToString::to_string).max())
            }
        }
    };
}

impl_store!(
    PgConnection,
    POSTGRES_MIGRATIONS,
    begin_write = transaction,
    lock_work_order = |q| q.for_share(),
    one_statement = pg_attach_new_photo_in_one_statement
);
// SQLite needs no shortcut: it is in process, so its statements cost no round trips.
impl_store!(
    SqliteConnection,
    SQLITE_MIGRATIONS,
    begin_write = immediate_transaction,
    lock_work_order = |q| q
);

fn pg_attach_new_photo_in_one_statement(
    conn: &mut PgConnection,
    photo: &NewPhoto,
) -> QueryResult<Option<Result<Attachment, Error>>> {
    let (work_order_id, photo_id, api_key_id) =
        (photo.work_order_id.to_string(), photo.photo_id.to_string(), photo.attached_by.to_string());
    let statement = crate::one_statement::AttachInOneStatement {
        tenant: photo.tenant.as_str(),
        work_order_id: &work_order_id,
        photo_id: &photo_id,
        object_key: photo.object_key.as_str(),
        cdn_url: photo.cdn_url.as_str(),
        taken_at: to_utc_timestamp(photo.taken_at.instant()),
        step: photo.step.as_ref().map(Step::as_str),
        created_at: to_utc_timestamp(photo.recorded_at),
        api_key_id: &api_key_id,
    };
    let rows: Vec<(String, Option<String>)> = statement.load(conn)?;
    Ok(match rows.into_iter().next() {
        None => Some(Err(Error::WorkOrderNotFound)),
        Some((status, Some(_inserted))) => {
            Some(status.parse::<WorkOrderStatus>().map_err(Error::internal).map(|status| Attachment {
                photo_id: photo.photo_id,
                status,
                disposition: Disposition::Created,
            }))
        }
        Some((_, None)) => None,
    })
}
