//! The webhook sender: posts an event, signed, with ureq (blocking, on tokio's blocking
//! threads), through a resolver that drops every address the target policy refuses, so a
//! host that resolves (or is rebound) to a private address is never reached. No redirect is
//! followed, no proxy is used, the whole answer must come within the timeout and is read up to
//! a bound.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use time::OffsetDateTime;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use workorder_domain::async_trait;
use workorder_domain::{DeliveryFailure, DueDelivery, Error, HostResolver, TargetPolicy, WebhookSender};

use crate::routes::events::EventBody;
use crate::webhook_signature::sign;

/// The most of a receiver's answer read: receivers answer with a status, not a document.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// [`WebhookSender`] over ureq.
#[derive(Debug, Clone)]
pub struct UreqWebhookSender {
    agent: ureq::Agent,
}

impl UreqWebhookSender {
    /// A sender whose whole call (connect, send, the whole answer) takes at most `timeout`,
    /// to targets `targets` permits.
    pub fn new(targets: TargetPolicy, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent("workorder-webhooks/1")
            .tls_config(ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls).build())
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            GuardedResolver { targets, inner: DefaultResolver::default() },
        );
        Self { agent }
    }
}

#[async_trait]
impl WebhookSender for UreqWebhookSender {
    async fn send(&self, delivery: &DueDelivery, at: OffsetDateTime) -> Result<(), DeliveryFailure> {
        let body = EventBody::json(&delivery.event);
        let (id, timestamp) = (delivery.event.id.to_string(), at.unix_timestamp());
        let signature = sign(delivery.secret.expose(), &id, timestamp, &body);
        let (agent, url) = (self.agent.clone(), delivery.url.as_str().to_owned());
        tokio::task::spawn_blocking(move || {
            let answer = agent
                .post(&url)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", &signature)
                .send(&body[..]);
            let mut answer = answer.map_err(|e| DeliveryFailure(e.to_string()))?;
            let status = answer.status().as_u16();
            // The whole answer, within the same time, for a delivery to count.
            answer
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()
                .map_err(|e| DeliveryFailure(format!("status {status}, then: {e}")))?;
            match status {
                200..=299 => Ok(()),
                300..=399 => Err(DeliveryFailure(format!("redirect {status}, not followed"))),
                _ => Err(DeliveryFailure(format!("status {status}"))),
            }
        })
        .await
        .map_err(|e| DeliveryFailure(e.to_string()))?
    }
}

/// Resolves as ureq does, then keeps only the addresses the policy permits.
#[derive(Debug)]
struct GuardedResolver {
    targets: TargetPolicy,
    inner: DefaultResolver,
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.inner.resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        for addr in resolved.iter().filter(|a| self.targets.permits(a.ip())) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the target resolves only to loopback, private, link-local or unspecified addresses",
            )));
        }
        Ok(kept)
    }
}

/// The system's resolver, for checking a target when a subscription is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, Error> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let addrs: Vec<IpAddr> =
            (bare, port).to_socket_addrs().map_err(Error::unavailable)?.map(|a: SocketAddr| a.ip()).collect();
        if addrs.is_empty() { Err(Error::unavailable("no address")) } else { Ok(addrs) }
    }
}
