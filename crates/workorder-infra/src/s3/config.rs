//! What the S3 adapter needs to know, checked once: endpoints, bucket, region, credentials
//! and the timeout.

use std::fmt;
use std::time::Duration;

use url::Url;

/// The secret access key: kept out of `Debug` and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Secret(String);

impl S3Secret {
    /// Wraps a secret access key.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for S3Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("S3Secret(…)")
    }
}

/// The S3 adapter's configuration.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// Where the service reaches the store, e.g. `http://127.0.0.1:9000/`.
    pub endpoint: Url,
    /// Where clients reach it: the endpoint written into upload URLs.
    pub public_endpoint: Url,
    /// The bucket photos are in.
    pub bucket: String,
    /// The region signatures are scoped to (`us-east-1` for MinIO).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: S3Secret,
    /// The longest one call to the store may take.
    pub timeout: Duration,
}

/// A setting the S3 adapter cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidS3Config {
    /// An endpoint that is not `http(s)://host[:port][/]`.
    #[error("{name} {value:?} is not an http or https URL with a host and no path, query or credentials")]
    Endpoint {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A bucket name S3 refuses.
    #[error("WORKORDER_S3_BUCKET {0:?} is not a bucket name (3 to 63 of a-z 0-9 . -)")]
    Bucket(String),
    /// An empty region.
    #[error("WORKORDER_S3_REGION must not be empty")]
    Region,
    /// Missing credentials.
    #[error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set with WORKORDER_S3_ENDPOINT")]
    Credentials,
    /// A timeout of zero.
    #[error("WORKORDER_S3_TIMEOUT_MS must be at least 1")]
    Timeout,
}

impl S3Config {
    /// Parses an endpoint setting: `http(s)://host[:port]`, optionally ending with `/`.
    pub fn parse_endpoint(name: &'static str, value: &str) -> Result<Url, InvalidS3Config> {
        let bad = || InvalidS3Config::Endpoint { name, value: value.to_owned() };
        let url = Url::parse(value).map_err(|_| bad())?;
        let plain = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none();
        if plain { Ok(url) } else { Err(bad()) }
    }

    /// Checks what the endpoints cannot say about themselves.
    pub fn check(&self) -> Result<(), InvalidS3Config> {
        let b = self.bucket.as_bytes();
        let bucket_ok = (3..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric();
        if !bucket_ok {
            return Err(InvalidS3Config::Bucket(self.bucket.clone()));
        }
        if self.region.trim().is_empty() {
            return Err(InvalidS3Config::Region);
        }
        if self.access_key_id.is_empty() || self.secret_access_key.expose().is_empty() {
            return Err(InvalidS3Config::Credentials);
        }
        if self.timeout.is_zero() {
            return Err(InvalidS3Config::Timeout);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_a_bare_http_origin() {
        for good in ["http://127.0.0.1:9000", "https://s3.example.com/", "http://minio:9000/"] {
            assert!(S3Config::parse_endpoint("E", good).is_ok(), "{good}");
        }
        for bad in ["127.0.0.1:9000", "ftp://h/", "http://u:p@h/", "http://h/bucket", "http://h/?x", ""] {
            assert!(S3Config::parse_endpoint("E", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_is_not_shown() {
        assert_eq!(format!("{:?}", S3Secret::new("hunter2")), "S3Secret(…)");
    }
}
