//! The S3 adapter against a real S3 server (`s3s-fs`, which checks SigV4), started per test on
//! a free port: the domain's object-store conformance rules, uploads through presigned URLs
//! with a plain HTTP client, a tampered signature, the start-up check, and a store that is
//! stopped or does not answer.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use workorder_domain::conformance::ObjectStoreHarness;
use workorder_domain::{
    Error, ObjectKey, ObjectStore, PhotoContentType, PresignedUpload, StoredObject, UploadRequest,
};
use workorder_infra::testing::S3Server;
use workorder_infra::{ObjectStoreCheckError, S3ObjectStore, S3Secret};

const TIMEOUT: Duration = Duration::from_millis(1500);

struct S3Harness {
    runtime: tokio::runtime::Runtime,
    server: S3Server,
    store: Arc<S3ObjectStore>,
}

impl S3Harness {
    fn new() -> Option<Self> {
        let server = S3Server::start()?;
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let store = Arc::new(S3ObjectStore::new(&server.config(TIMEOUT)).unwrap());
        Some(Self { runtime, server, store })
    }
}

/// A PUT as an app would send it: a plain HTTP client, the ticket's URL and headers, no
/// credentials.
fn put(url: &str, headers: &[(String, String)], body: &[u8]) -> Result<(), String> {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut request = agent.put(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = request.send(body).map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if status == 200 {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", response.body_mut().read_to_string().unwrap_or_default()))
    }
}

impl ObjectStoreHarness for S3Harness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
    fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }
    fn upload(
        &self,
        ticket: &PresignedUpload,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), String> {
        put(&ticket.url, headers, body)
    }
    fn unreachable(&self) -> Arc<dyn ObjectStore> {
        // A port nothing listens on.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut config = self.server.config(TIMEOUT);
        config.endpoint = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        Arc::new(S3ObjectStore::new(&config).unwrap())
    }
}

mod s3s_fs {
    workorder_domain::object_store_conformance_tests!(optional super::S3Harness::new());
}

fn ticket(h: &S3Harness, key: &str) -> PresignedUpload {
    let request = UploadRequest {
        key: ObjectKey::parse(key).unwrap(),
        content_type: PhotoContentType::Jpeg,
        content_length: None,
        sha256: None,
        signed_at: workorder_domain::truncate_to_micros(time::OffsetDateTime::now_utc()),
        lifetime: Duration::from_secs(900),
    };
    h.block_on(h.store.presign_upload(&request)).unwrap()
}

fn describe(h: &S3Harness, key: &str) -> Result<Option<StoredObject>, Error> {
    h.block_on(h.store.describe(&ObjectKey::parse(key).unwrap(), 16))
}

#[test]
fn a_tampered_signature_or_key_is_refused_by_the_server() {
    let Some(h) = S3Harness::new() else { return };
    let t = ticket(&h, "acme/wo/a.jpg");
    let (head, signature) = t.url.rsplit_once("X-Amz-Signature=").unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}X-Amz-Signature={flipped}{}", &signature[1..]);
    assert!(put(&tampered, &t.headers, b"\xFF\xD8\xFF").unwrap_err().contains("403"));
    let other_key = t.url.replace("acme/wo/a.jpg", "acme/wo/b.jpg");
    assert!(put(&other_key, &t.headers, b"\xFF\xD8\xFF").unwrap_err().contains("403"));
    assert_eq!(describe(&h, "acme/wo/a.jpg").unwrap(), None);
    assert_eq!(describe(&h, "acme/wo/b.jpg").unwrap(), None);
    put(&t.url, &t.headers, b"\xFF\xD8\xFF").unwrap();
    assert_eq!(describe(&h, "acme/wo/a.jpg").unwrap().unwrap().size_bytes, 3);
}

#[test]
fn the_start_up_check_tells_a_missing_bucket_bad_credentials_and_no_server_apart() {
    let Some(h) = S3Harness::new() else { return };
    h.block_on(h.store.check()).unwrap();

    let mut config = h.server.config(TIMEOUT);
    config.bucket = "no-such-bucket".to_owned();
    let answer = h.block_on(S3ObjectStore::new(&config).unwrap().check());
    assert!(matches!(answer, Err(ObjectStoreCheckError::NoSuchBucket { .. })), "{answer:?}");

    let mut config = h.server.config(TIMEOUT);
    config.secret_access_key = S3Secret::new("wrong");
    let answer = h.block_on(S3ObjectStore::new(&config).unwrap().check());
    assert!(matches!(answer, Err(ObjectStoreCheckError::Refused { status: 403, .. })), "{answer:?}");

    let down = h.unreachable();
    let answer = h.block_on(down.describe(&ObjectKey::parse("a").unwrap(), 4));
    assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
}

#[test]
fn a_stopped_store_is_unavailable_and_answers_again_once_back() {
    let Some(mut h) = S3Harness::new() else { return };
    let t = ticket(&h, "acme/wo/back.jpg");
    put(&t.url, &t.headers, b"\xFF\xD8\xFF\xE0").unwrap();
    h.server.stop();
    let started = Instant::now();
    assert!(matches!(describe(&h, "acme/wo/back.jpg"), Err(Error::Unavailable(_))));
    assert!(started.elapsed() < TIMEOUT, "a refused connection is answered at once");
    h.server.resume();
    assert_eq!(describe(&h, "acme/wo/back.jpg").unwrap().unwrap().first_bytes, b"\xFF\xD8\xFF\xE0");
}

#[test]
fn a_store_that_accepts_but_never_answers_is_unavailable_within_the_timeout() {
    let Some(h) = S3Harness::new() else { return };
    // Accepts connections (the kernel's backlog does) and never reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = h.server.config(Duration::from_millis(500));
    config.endpoint = url::Url::parse(&format!("http://{}/", silent.local_addr().unwrap())).unwrap();
    let store = S3ObjectStore::new(&config).unwrap();
    let started = Instant::now();
    let answer = h.block_on(store.describe(&ObjectKey::parse("a").unwrap(), 4));
    assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(450) && waited < Duration::from_millis(1500), "{waited:?}");
    let answer = h.block_on(store.check());
    assert!(matches!(answer, Err(ObjectStoreCheckError::Unreachable { .. })), "{answer:?}");
}

#[test]
fn upload_urls_name_the_public_endpoint_and_the_service_keeps_its_own() {
    let Some(h) = S3Harness::new() else { return };
    let mut config = h.server.config(TIMEOUT);
    let port = config.endpoint.port().unwrap();
    // The same server under another name, as apps would reach it through a public address.
    config.public_endpoint = url::Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let store = S3ObjectStore::new(&config).unwrap();
    let request = UploadRequest {
        key: ObjectKey::parse("acme/wo/public.jpg").unwrap(),
        content_type: PhotoContentType::Jpeg,
        content_length: Some(3),
        sha256: None,
        signed_at: workorder_domain::truncate_to_micros(time::OffsetDateTime::now_utc()),
        lifetime: Duration::from_secs(900),
    };
    let t = h.block_on(store.presign_upload(&request)).unwrap();
    assert!(t.url.starts_with(&format!("http://localhost:{port}/photos/acme/wo/public.jpg?")), "{}", t.url);
    put(&t.url, &t.headers, b"\xFF\xD8\xFF").unwrap();
    // The service reads it back at its own endpoint.
    let stored = h.block_on(store.describe(&request.key, 8)).unwrap().unwrap();
    assert_eq!((stored.size_bytes, stored.content_type.as_deref()), (3, Some("image/jpeg")));
}
