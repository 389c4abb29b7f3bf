//! Webhooks: subscriptions, their signing secrets, which targets a delivery may reach, and
//! when a failed delivery is tried again.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::identity::TenantId;
use crate::photo::{CdnUrl, CdnUrlError};

crate::ulid_id::ulid_id!(
    /// A subscription's id: a ULID.
    SubscriptionId
);

/// Where a subscription's events are posted: the same shape as a CDN URL (absolute `http` or
/// `https` with a host, no user-info, at most 2048 characters), one rule for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: CdnUrl,
    port: u16,
}

impl WebhookUrl {
    /// Parses a webhook URL.
    pub fn parse(raw: &str) -> Result<Self, CdnUrlError> {
        let url = CdnUrl::parse(raw)?;
        let port = url::Url::parse(raw)
            .ok()
            .and_then(|u| u.port_or_known_default())
            .ok_or(CdnUrlError::NotAbsoluteHttp)?;
        Ok(Self { url, port })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Its host, lowercase (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        self.url.host()
    }

    /// Its port, explicit or the scheme's.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl std::str::FromStr for WebhookUrl {
    type Err = CdnUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A subscription's signing secret: the bytes HMAC keys with. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// The fewest bytes a secret has.
    pub const MIN_BYTES: usize = 24;

    /// A secret of these bytes; `None` when too short.
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= Self::MIN_BYTES).then_some(Self(bytes))
    }

    /// The bytes, to sign with or to encrypt.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// Which addresses deliveries may reach: never loopback, private, link-local or unspecified
/// ones (a subscriber must not make the service reach its own network), unless allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetPolicy {
    /// Allow every address (`WORKORDER_WEBHOOK_ALLOW_PRIVATE=true`), for tests and closed
    /// networks.
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Whether a delivery may connect to `ip`.
    pub fn permits(self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }
}

/// Whether `ip` is a public address: not loopback, private (RFC 1918, shared 100.64/10,
/// unique-local fc00::/7), link-local, unspecified, broadcast or multicast. An IPv4 address
/// inside IPv6 (`::ffff:a.b.c.d`, `::a.b.c.d`) is judged as the IPv4 one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// When a failed delivery is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's wait (`WORKORDER_WEBHOOK_RETRY_BASE_MS`); the n-th waits
    /// `base × 2^(n−1)`, randomised within ±50 %, at most an hour.
    pub base: Duration,
    /// How old an event may get before its delivery is given up
    /// (`WORKORDER_WEBHOOK_MAX_AGE_SECS`).
    pub max_age: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base: Duration::from_millis(5000), max_age: Duration::from_secs(86_400) }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this instant.
    At(OffsetDateTime),
    /// The event is too old: mark the delivery failed.
    GiveUp,
}

impl RetryPolicy {
    /// The longest wait between two attempts.
    pub const MAX_WAIT: Duration = Duration::from_secs(3600);

    /// The wait before retry number `retry` (1 for the first), before jitter.
    pub fn nominal_wait(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        self.base.saturating_mul(factor).min(Self::MAX_WAIT)
    }

    /// After `attempts` failed attempts of an event that occurred at `occurred_at`, now: the
    /// next attempt, `unit` (uniform in 0..1) spreading it within ±50 % of the nominal wait, at
    /// most an hour and never past the event's maximum age; once the event is that old, give up.
    pub fn after_failure(
        &self,
        attempts: u32,
        occurred_at: OffsetDateTime,
        now: OffsetDateTime,
        unit: f64,
    ) -> Retry {
        let deadline = occurred_at + self.max_age;
        if now >= deadline {
            return Retry::GiveUp;
        }
        let jittered = self.nominal_wait(attempts).mul_f64(0.5 + unit.clamp(0.0, 1.0)).min(Self::MAX_WAIT);
        Retry::At((now + jittered).min(deadline))
    }
}

/// A subscription as operators see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionListing {
    /// Its id.
    pub id: SubscriptionId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Where it is posted to.
    pub url: WebhookUrl,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// Deliveries waiting for a first or a further attempt.
    pub pending: u64,
    /// Of those, deliveries that have failed at least once and wait for a retry.
    pub retrying: u64,
    /// Deliveries given up.
    pub failed: u64,
}

impl SubscriptionListing {
    /// `retrying` when a delivery waits for a retry, `active` otherwise.
    pub fn state(&self) -> &'static str {
        if self.retrying > 0 { "retrying" } else { "active" }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn only_public_addresses_are_targets() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(!is_public(ip), "{private}");
            assert!(!TargetPolicy::default().permits(ip), "{private}");
            assert!(TargetPolicy { allow_private: true }.permits(ip), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn retries_double_from_the_base_within_half_either_way_at_most_an_hour() {
        let policy = RetryPolicy::default();
        let (at, now) = (datetime!(2026-04-15 12:00 UTC), datetime!(2026-04-15 12:01 UTC));
        assert_eq!(policy.nominal_wait(1), Duration::from_secs(5));
        assert_eq!(policy.nominal_wait(2), Duration::from_secs(10));
        assert_eq!(policy.nominal_wait(4), Duration::from_secs(40));
        assert_eq!(policy.nominal_wait(30), RetryPolicy::MAX_WAIT);
        assert_eq!(policy.nominal_wait(u32::MAX), RetryPolicy::MAX_WAIT);
        assert_eq!(policy.after_failure(2, at, now, 0.0), Retry::At(now + Duration::from_secs(5)));
        assert_eq!(policy.after_failure(2, at, now, 1.0), Retry::At(now + Duration::from_secs(15)));
        assert_eq!(policy.after_failure(40, at, now, 1.0), Retry::At(now + RetryPolicy::MAX_WAIT));
    }

    #[test]
    fn a_delivery_is_given_up_once_the_event_is_too_old_and_never_scheduled_past_it() {
        let policy = RetryPolicy::default();
        let at = datetime!(2026-04-15 12:00 UTC);
        let deadline = at + policy.max_age;
        assert_eq!(
            policy.after_failure(20, at, deadline - Duration::from_secs(60), 1.0),
            Retry::At(deadline)
        );
        assert_eq!(policy.after_failure(20, at, deadline, 0.5), Retry::GiveUp);
    }

    #[test]
    fn webhook_urls_follow_the_url_rule_and_know_their_port() {
        let url = WebhookUrl::parse("https://Hooks.Example.com/in?x=1").unwrap();
        assert_eq!((url.host(), url.port()), ("hooks.example.com", 443));
        assert_eq!(WebhookUrl::parse("http://127.0.0.1:9/x").unwrap().port(), 9);
        for bad in ["ftp://x.example/", "https://u:p@x.example/", "/relative", "https://"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_secret_is_at_least_24_bytes_and_never_printed() {
        assert!(WebhookSecret::new(vec![7; 23]).is_none());
        let secret = WebhookSecret::new(vec![7; 24]).unwrap();
        assert!(!format!("{secret:?}").contains('7'));
    }
}
