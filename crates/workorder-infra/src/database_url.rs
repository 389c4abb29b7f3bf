//! Which database a URL selects, and how the URL is shown without its secrets.

use std::fmt;

/// The two databases we run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: production, several stateless servers on one database.
    Postgres,
    /// SQLite in a local file: the embedded default.
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A database URL: `postgres://…` / `postgresql://…`, or `sqlite://PATH` / `sqlite:PATH`.
///
/// Its `Display` and `Debug` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver is given: the URL for PostgreSQL, the file's path for SQLite.
    target: String,
}

/// A `DATABASE_URL` that selects no backend we run on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDatabaseUrl {
    /// Neither `postgres://`, `postgresql://` nor `sqlite:`.
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")]
    UnknownScheme,
    /// `sqlite://` without a path.
    #[error("DATABASE_URL sqlite:// needs a file path, e.g. sqlite://workorder.db")]
    MissingPath,
    /// A `postgres://` URL that does not parse.
    #[error("DATABASE_URL is not a valid PostgreSQL URL")]
    Malformed,
}

impl DatabaseUrl {
    /// Parses a database URL.
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|_| InvalidDatabaseUrl::Malformed)?;
            return Ok(Self { backend: Backend::Postgres, target: raw.to_owned() });
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or(InvalidDatabaseUrl::UnknownScheme)?;
        if path.is_empty() || path.starts_with(":memory:") {
            // An in-memory database would be a different one on each pooled connection.
            return Err(InvalidDatabaseUrl::MissingPath);
        }
        Ok(Self { backend: Backend::Sqlite, target: path.to_owned() })
    }

    /// What the driver is given: the URL for PostgreSQL, the file's path for SQLite. It may
    /// hold a password: do not log it.
    pub(crate) fn driver_target(&self) -> &str {
        &self.target
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For SQLite, the database file.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.target.as_str())
    }

    /// For PostgreSQL, the driver's URL, password included; do not log it.
    pub fn postgres_url(&self) -> Option<&str> {
        (self.backend == Backend::Postgres).then_some(self.target.as_str())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Sqlite => write!(f, "sqlite://{}", self.target),
            Backend::Postgres => match url::Url::parse(&self.target) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        // Cannot fail: a URL with a password has a host.
                        let _ = url.set_password(Some("***"));
                    }
                    // libpq also takes secrets as parameters.
                    let secret = |key: &str| matches!(key, "password" | "sslpassword" | "sslkey");
                    if url.query_pairs().any(|(k, _)| secret(&k)) {
                        let pairs: Vec<(String, String)> = url
                            .query_pairs()
                            .map(|(k, v)| {
                                let v = if secret(&k) { "***".to_owned() } else { v.into_owned() };
                                (k.into_owned(), v)
                            })
                            .collect();
                        url.query_pairs_mut().clear().extend_pairs(pairs);
                    }
                    f.write_str(url.as_str())
                }
                Err(_) => f.write_str("postgres://<unparsable>"),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_backend_by_scheme() {
        let pg = DatabaseUrl::parse("postgres://u:secret@db:5432/wo").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(DatabaseUrl::parse("postgresql://db/wo").unwrap().backend(), Backend::Postgres);
        let file = DatabaseUrl::parse("sqlite://workorder.db").unwrap();
        assert_eq!((file.backend(), file.sqlite_path()), (Backend::Sqlite, Some("workorder.db")));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/wo.db").unwrap().sqlite_path(),
            Some("/var/lib/wo.db")
        );
        assert_eq!(DatabaseUrl::parse("sqlite:wo.db").unwrap().sqlite_path(), Some("wo.db"));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert_eq!(DatabaseUrl::parse("mysql://db/wo"), Err(InvalidDatabaseUrl::UnknownScheme));
        assert_eq!(DatabaseUrl::parse("workorder.db"), Err(InvalidDatabaseUrl::UnknownScheme));
        assert_eq!(DatabaseUrl::parse("sqlite://"), Err(InvalidDatabaseUrl::MissingPath));
        assert_eq!(DatabaseUrl::parse("sqlite::memory:"), Err(InvalidDatabaseUrl::MissingPath));
        assert_eq!(DatabaseUrl::parse("postgres://u:p@[bad/wo"), Err(InvalidDatabaseUrl::Malformed));
    }

    #[test]
    fn a_url_never_shows_its_password() {
        let url = DatabaseUrl::parse("postgres://app:hunter2@db:5432/wo").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/wo");
        assert!(!format!("{url:?}").contains("hunter2"));
        let in_query = DatabaseUrl::parse("postgres://db/wo?sslmode=require&password=hunter2").unwrap();
        assert_eq!(in_query.to_string(), "postgres://db/wo?sslmode=require&password=***");
    }
}
