//! The S3 adapter of [`ObjectStore`]: describe is a HEAD (size, type, ETag, SHA-256) then a
//! ranged GET of the first bytes; an upload ticket is a presigned PUT whose signature covers
//! `Content-Type`, and `Content-Length` and `x-amz-checksum-sha256` when given, so the store
//! refuses a PUT that differs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use workorder_domain::{
    Error, ObjectKey, ObjectStore, PresignedUpload, Sha256Digest, StoredObject, UploadRequest,
};

use super::config::{InvalidS3Config, S3Config};
use super::transport::{Answer, agent, send, unexpected};

/// How long the URLs the service signs for its own requests stay valid: long enough for a
/// slow clock, far shorter than a ticket.
const OWN_REQUEST_LIFETIME: Duration = Duration::from_secs(60);

/// The S3 header that carries an object's SHA-256, in base64.
const CHECKSUM_HEADER: &str = "x-amz-checksum-sha256";

/// [`ObjectStore`] on an S3-compatible server. Calls run on tokio's blocking threads, so it
/// must be used from within a tokio runtime.
#[derive(Clone)]
pub struct S3ObjectStore {
    inner: Arc<Inner>,
}

struct Inner {
    bucket: Bucket,
    public_bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
    timeout: Duration,
}

impl std::fmt::Debug for S3ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3ObjectStore")
            .field("bucket", &self.inner.bucket.name())
            .field("endpoint", &self.inner.bucket.base_url().as_str())
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Why the store cannot be used at start.
#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreCheckError {
    /// No answer from the endpoint within the timeout.
    #[error("object store {endpoint} is unreachable: {reason}")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// Why, with its causes (a refused connection, a time-out).
        reason: String,
    },
    /// The bucket does not exist.
    #[error("object store {endpoint} has no bucket {bucket:?}")]
    NoSuchBucket {
        /// The endpoint.
        endpoint: String,
        /// The bucket.
        bucket: String,
    },
    /// The store refused us (credentials, clock, policy).
    #[error(
        "object store {endpoint} refused to show bucket {bucket:?} (HTTP {status}): check the credentials and the bucket policy"
    )]
    Refused {
        /// The endpoint.
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// Its answer.
        status: u16,
    },
}

impl S3ObjectStore {
    /// An adapter for `config`; it does not contact the store (see [`S3ObjectStore::check`]).
    pub fn new(config: &S3Config) -> Result<Self, InvalidS3Config> {
        config.check()?;
        let bucket_at = |endpoint: &url::Url| {
            Bucket::new(endpoint.clone(), UrlStyle::Path, config.bucket.clone(), config.region.clone())
                .map_err(|_| InvalidS3Config::Bucket(config.bucket.clone()))
        };
        Ok(Self {
            inner: Arc::new(Inner {
                bucket: bucket_at(&config.endpoint)?,
                public_bucket: bucket_at(&config.public_endpoint)?,
                credentials: Credentials::new(
                    config.access_key_id.clone(),
                    config.secret_access_key.expose().to_owned(),
                ),
                agent: agent(),
                timeout: config.timeout,
            }),
        })
    }

    /// Checks at start that the endpoint answers and the bucket exists (a HEAD of the bucket).
    pub async fn check(&self) -> Result<(), ObjectStoreCheckError> {
        let endpoint = self.inner.bucket.base_url().origin().ascii_serialization();
        let bucket = self.inner.bucket.name().to_owned();
        let answer = self
            .blocking(move |inner, deadline| {
                let url = inner.bucket.head_bucket(Some(&inner.credentials)).sign(OWN_REQUEST_LIFETIME);
                Ok(send(&inner.agent, "HEAD", &url, &[], 0, deadline)?)
            })
            .await;
        match answer {
            Ok(Answer { status: 200, .. }) => Ok(()),
            Ok(Answer { status: 404, .. }) => Err(ObjectStoreCheckError::NoSuchBucket { endpoint, bucket }),
            Ok(Answer { status, .. }) => Err(ObjectStoreCheckError::Refused { endpoint, bucket, status }),
            Err(error) => Err(ObjectStoreCheckError::Unreachable { endpoint, reason: causes(&error) }),
        }
    }

    /// Runs `call` on a blocking thread with a deadline of one timeout from now; a call that
    /// overruns it (ureq bounds each request by what is left) is `Unavailable`.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Inner, Instant) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let inner = self.inner.clone();
        let timeout = inner.timeout;
        let deadline = Instant::now() + timeout;
        let task = tokio::task::spawn_blocking(move || call(&inner, deadline));
        // The blocking call stops itself at the deadline; this bound only guards against a
        // thread pool with no thread free, so the request is answered either way.
        match tokio::time::timeout(timeout + Duration::from_millis(250), task).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(join)) => Err(Error::internal(join)),
            Err(elapsed) => Err(Error::unavailable(elapsed)),
        }
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn describe(&self, key: &ObjectKey, first_bytes: usize) -> Result<Option<StoredObject>, Error> {
        let key = key.as_str().to_owned();
        self.blocking(move |inner, deadline| {
            let mut head = inner.bucket.head_object(Some(&inner.credentials), &key);
            // Asks for the object's checksums; signed, as S3 wants every x-amz- header.
            head.headers_mut().insert("x-amz-checksum-mode", "ENABLED");
            let url = head.sign(OWN_REQUEST_LIFETIME);
            let answer =
                send(&inner.agent, "HEAD", &url, &[("x-amz-checksum-mode", "ENABLED")], 0, deadline)?;
            match answer.status {
                200 => {}
                404 => return Ok(None),
                status => return Err(unexpected("HEAD", status)),
            }
            let size_bytes = answer
                .header("content-length")
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| Error::internal("the store's HEAD answer has no Content-Length"))?;
            let first = if size_bytes == 0 || first_bytes == 0 {
                Vec::new()
            } else {
                let range = format!("bytes=0-{}", first_bytes - 1);
                let mut get = inner.bucket.get_object(Some(&inner.credentials), &key);
                get.headers_mut().insert("range", range.clone());
                let url = get.sign(OWN_REQUEST_LIFETIME);
                let got =
                    send(&inner.agent, "GET", &url, &[("range", &range)], first_bytes as u64, deadline)?;
                match got.status {
                    200 | 206 => got.body,
                    // Removed between the two requests.
                    404 => return Ok(None),
                    status => return Err(unexpected("GET", status)),
                }
            };
            Ok(Some(StoredObject {
                size_bytes,
                content_type: answer.header("content-type").map(str::to_owned),
                etag: answer.header("etag").unwrap_or_default().trim_matches('"').to_owned(),
                sha256: answer.header(CHECKSUM_HEADER).and_then(decode_sha256),
                first_bytes: first,
            }))
        })
        .await
    }

    async fn presign_upload(&self, upload: &UploadRequest) -> Result<PresignedUpload, Error> {
        let inner = &self.inner;
        let signed_at = jiff::Timestamp::from_microsecond(
            i64::try_from(upload.signed_at.unix_timestamp_nanos() / 1000).map_err(Error::internal)?,
        )
        .map_err(Error::internal)?;
        let mut headers = vec![("Content-Type".to_owned(), upload.content_type.as_str().to_owned())];
        if let Some(length) = upload.content_length {
            headers.push(("Content-Length".to_owned(), length.to_string()));
        }
        if let Some(digest) = upload.sha256 {
            headers.push((CHECKSUM_HEADER.to_owned(), BASE64.encode(digest.bytes())));
        }
        let mut put = inner.public_bucket.put_object(Some(&inner.credentials), upload.key.as_str());
        for (name, value) in &headers {
            // SigV4 signs header names in lowercase.
            put.headers_mut().insert(name.to_ascii_lowercase(), value.clone());
        }
        let url = put.sign_with_time(upload.lifetime, &signed_at);
        let lifetime = time::Duration::try_from(upload.lifetime).map_err(Error::internal)?;
        Ok(PresignedUpload { url: url.to_string(), headers, expires_at: upload.signed_at + lifetime })
    }
}

/// The causes of `error`, innermost last: the domain's `Unavailable` says only that the
/// store is, its sources say why.
fn causes(error: &Error) -> String {
    let mut reasons = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // Wrappers often repeat their source's text; say it once.
        if !reasons.last().is_some_and(|last: &String| last.contains(&text)) {
            reasons.push(text);
        }
        source = cause.source();
    }
    if reasons.is_empty() { error.to_string() } else { reasons.join(": ") }
}

/// A SHA-256 as S3 writes it (base64 of the 32 bytes); anything else is ignored, as an
/// unknown checksum.
fn decode_sha256(base64: &str) -> Option<Sha256Digest> {
    let bytes: [u8; 32] = BASE64.decode(base64).ok()?.try_into().ok()?;
    Some(Sha256Digest::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checksum_reads_from_base64_and_nothing_else() {
        let digest = decode_sha256("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").unwrap();
        assert_eq!(digest.to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(decode_sha256("not base64"), None);
        assert_eq!(decode_sha256("AAAA"), None);
    }

    #[test]
    fn a_failed_transport_is_unavailable_and_a_5xx_too_but_a_403_is_internal() {
        assert!(matches!(unexpected("HEAD", 503), Error::Unavailable(_)));
        assert!(matches!(unexpected("HEAD", 403), Error::Internal(_)));
    }
}
