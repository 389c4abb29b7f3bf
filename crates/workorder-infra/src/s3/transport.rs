//! Sending a presigned request to the store within a deadline, and what its failures mean to
//! the domain: no answer in time or no connection is `Unavailable` (the store is down or
//! slow), as is a 5xx; anything else unexpected is `Internal`.

use std::io::Read;
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use url::Url;
use workorder_domain::Error;

/// An agent that reports every status to us (no error for 4xx), follows no redirect (a
/// presigned URL is for one host) and uses the system's TLS roots.
pub(crate) fn agent() -> Agent {
    let tls =
        TlsConfig::builder().provider(TlsProvider::NativeTls).root_certs(RootCerts::PlatformVerifier).build();
    Agent::config_builder().http_status_as_error(false).max_redirects(0).tls_config(tls).build().new_agent()
}

/// A store's answer: its status, the headers we read, and at most the bytes asked for.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: ureq::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A failure to get an answer before `deadline`.
#[derive(Debug, thiserror::Error)]
#[error("object store {method} failed: {source}")]
pub(crate) struct TransportError {
    method: &'static str,
    #[source]
    source: ureq::Error,
}

/// Sends `method` to `url` with `headers`, reading at most `max_body` bytes of the answer,
/// all before `deadline`.
pub(crate) fn send(
    agent: &Agent,
    method: &'static str,
    url: &Url,
    headers: &[(&str, &str)],
    max_body: u64,
    deadline: Instant,
) -> Result<Answer, TransportError> {
    let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    let fail = |source| TransportError { method, source };
    let mut request = ureq::http::Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(()).map_err(|e| fail(ureq::Error::Http(e)))?;
    let request = agent.configure_request(request).timeout_global(Some(remaining)).build();
    let mut response = agent.run(request).map_err(fail)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    if method != "HEAD" {
        response
            .body_mut()
            .as_reader()
            .take(max_body)
            .read_to_end(&mut body)
            .map_err(|e| fail(ureq::Error::Io(e)))?;
    }
    Ok(Answer { status, headers, body })
}

impl From<TransportError> for Error {
    /// No connection, a time-out or a broken answer: the store is down or slow, retry later.
    fn from(e: TransportError) -> Self {
        Error::unavailable(e)
    }
}

/// A status the store should not have answered.
#[derive(Debug, thiserror::Error)]
#[error("object store answered {method} with HTTP {status}")]
pub(crate) struct UnexpectedStatus {
    pub(crate) method: &'static str,
    pub(crate) status: u16,
}

/// An unexpected status as the domain sees it: a 5xx (or 429) is a store in trouble,
/// retryable; anything else (403: credentials or clock refused) is a fault to look into.
pub(crate) fn unexpected(method: &'static str, status: u16) -> Error {
    let e = UnexpectedStatus { method, status };
    if status >= 500 || status == 429 { Error::unavailable(e) } else { Error::internal(e) }
}
