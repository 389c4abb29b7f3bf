//! The SQL text diesel really sends for the read side's statements, caught by diesel's
//! instrumentation on a pooled connection, so a test can ask the database for the plan of the
//! very statement the service runs rather than a copy of it that could drift.

use std::sync::{Arc, Mutex};

use diesel::connection::{Connection, InstrumentationEvent};
use time::PrimitiveDateTime;

use crate::Database;

/// The statements one read of a page of photos sends, in order, each as its SQL with its
/// placeholders (`$1`… on PostgreSQL, `?` on SQLite), without the bound values.
pub fn photo_page_statements(
    db: &Database,
    tenant: &str,
    work_order: &str,
    after: Option<(PrimitiveDateTime, String)>,
    limit: i64,
) -> Vec<String> {
    caught(db, |conn| {
        crate::reads::photos(conn, tenant, work_order, after, limit).expect("the page is read");
    })
}

/// The statements one read of a work order (with its photo count) sends, as
/// [`photo_page_statements`] gives them.
pub fn work_order_statements(db: &Database, tenant: &str, work_order: &str) -> Vec<String> {
    caught(db, |conn| {
        crate::reads::work_order(conn, tenant, work_order).expect("the work order is read");
    })
}

fn caught(db: &Database, work: impl FnOnce(&mut crate::connection::AnyConnection)) -> Vec<String> {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut conn = db.connection().expect("a pooled connection");
    let record = sent.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            // diesel displays a statement as "SQL -- binds: [...]".
            let text = query.to_string();
            let sql = text.rsplit_once(" -- binds: ").map_or(text.as_str(), |(sql, _)| sql);
            record.lock().expect("not poisoned").push(sql.to_owned());
        }
    });
    work(&mut conn);
    conn.set_instrumentation(diesel::connection::get_default_instrumentation());
    sent.lock().expect("not poisoned").clone()
}
