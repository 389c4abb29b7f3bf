//! Failed authentications are limited per client address, so guessing keys is pointless.
//!
//! Only a request whose key fails (missing, malformed, unknown or revoked) counts, and only such
//! a request is ever refused: a key that verifies is answered whatever its address did, because
//! mobile carriers and offices put many technicians behind one address. The count and the
//! decision are one atomic step per address, so concurrent failures cannot slip past the limit.
//! IPv6 clients are counted per /64, the block one subscriber gets.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ipnet::IpNet;

/// How many failures an address may have in a window before it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailureLimit {
    /// Failures allowed per window; 0 disables the limit.
    pub failures: u32,
    /// The window.
    pub window: Duration,
}

impl Default for AuthFailureLimit {
    fn default() -> Self {
        Self { failures: 20, window: Duration::from_secs(60) }
    }
}

/// What the limiter says of a failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureVerdict {
    /// Answer 401: the address is within its limit.
    Counted,
    /// Answer 429: the address passed its limit; it may try again after this long.
    Refused(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Addresses tracked at most. Past that, the cache evicts the addresses it saw least (TinyLFU),
/// never all at once: a locked address, seen on each of its attempts, stays locked while an
/// attacker sprays new addresses.
const MAX_TRACKED: u64 = 100_000;

/// Counts failures per client address in fixed windows.
pub struct AuthLimiter {
    limit: AuthFailureLimit,
    windows: moka::sync::Cache<ClientKey, Window>,
}

impl std::fmt::Debug for AuthLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLimiter").field("limit", &self.limit).finish_non_exhaustive()
    }
}

impl Default for AuthLimiter {
    fn default() -> Self {
        Self::new(AuthFailureLimit::default())
    }
}

impl AuthLimiter {
    /// A limiter with this limit.
    pub fn new(limit: AuthFailureLimit) -> Self {
        Self::with_capacity(limit, MAX_TRACKED)
    }

    fn with_capacity(limit: AuthFailureLimit, capacity: u64) -> Self {
        let windows = moka::sync::Cache::builder()
            .max_capacity(capacity)
            // An address forgotten a window after its last failure starts afresh anyway.
            .time_to_idle(limit.window.max(Duration::from_millis(1)))
            .build();
        Self { limit, windows }
    }

    /// Counts a failed authentication from `client` and says whether to refuse it, in one
    /// atomic step for that address.
    pub(crate) fn failed(&self, client: IpAddr) -> FailureVerdict {
        if self.limit.failures == 0 {
            return FailureVerdict::Counted;
        }
        let window = self.limit.window;
        let entry = self.windows.entry(ClientKey::of(client)).and_upsert_with(|current| {
            let now = Instant::now();
            match current.map(|e| e.into_value()) {
                Some(w) if now.duration_since(w.started) < window => {
                    Window { started: w.started, failures: w.failures.saturating_add(1) }
                }
                _ => Window { started: now, failures: 1 },
            }
        });
        let w = entry.into_value();
        if w.failures > self.limit.failures {
            let left = window.saturating_sub(w.started.elapsed());
            FailureVerdict::Refused(left.max(Duration::from_secs(1)))
        } else {
            FailureVerdict::Counted
        }
    }
}

/// What an address is counted as: IPv4 addresses one by one (IPv4-mapped IPv6 included),
/// IPv6 addresses by their /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    V4(u32),
    V6Prefix(u64),
}

impl ClientKey {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.into()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.into()),
                None => Self::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// The load balancers and proxies whose `X-Forwarded-For` is believed
/// (`WORKORDER_TRUSTED_PROXIES`); none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `WORKORDER_TRUSTED_PROXIES` entry that is not a CIDR block or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CIDR block (e.g. 10.0.0.0/8) or an address")]
pub struct InvalidTrustedProxy(String);

impl TrustedProxies {
    /// Blocks such as `10.0.0.0/8`, or single addresses.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidTrustedProxy> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| InvalidTrustedProxy(entry.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the TCP peer, unless the peer is trusted; then the rightmost
    /// `X-Forwarded-For` entry that is not trusted (the entries left of it were written by
    /// the client and prove nothing). A trusted peer that forwards no usable entry is the
    /// client itself.
    pub(crate) fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => return ip,
                // A hop we cannot read: stop at the last address we could vouch for.
                Err(_) => return client,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_is_refused_after_the_limit_until_the_window_ends() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 3, window: Duration::from_millis(300) });
        for _ in 0..3 {
            assert_eq!(limiter.failed(ip("10.0.0.1")), FailureVerdict::Counted);
        }
        assert!(matches!(limiter.failed(ip("10.0.0.1")), FailureVerdict::Refused(_)));
        assert_eq!(
            limiter.failed(ip("10.0.0.2")),
            FailureVerdict::Counted,
            "other addresses are not affected"
        );
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(limiter.failed(ip("10.0.0.1")), FailureVerdict::Counted);
    }

    #[test]
    fn a_zero_limit_disables_it() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 0, window: Duration::from_secs(60) });
        for _ in 0..100 {
            assert_eq!(limiter.failed(ip("10.0.0.1")), FailureVerdict::Counted);
        }
    }

    #[test]
    fn concurrent_failures_never_pass_more_than_the_limit() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 20, window: Duration::from_secs(60) });
        let counted = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..10 {
                s.spawn(|| {
                    for _ in 0..10 {
                        if limiter.failed(ip("192.0.2.1")) == FailureVerdict::Counted {
                            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(counted.into_inner(), 20, "exactly the limit is answered 401, the rest 429");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 2, window: Duration::from_secs(60) });
        limiter.failed(ip("2001:db8:1:2::1"));
        limiter.failed(ip("2001:db8:1:2:ffff::9"));
        assert!(matches!(limiter.failed(ip("2001:db8:1:2::abcd")), FailureVerdict::Refused(_)));
        assert_eq!(limiter.failed(ip("2001:db8:1:3::1")), FailureVerdict::Counted, "another /64");
        limiter.failed(ip("192.0.2.8"));
        limiter.failed(ip("::ffff:192.0.2.8"));
        assert!(matches!(limiter.failed(ip("192.0.2.8")), FailureVerdict::Refused(_)));
    }

    #[test]
    fn a_locked_address_stays_locked_while_many_others_fill_the_table() {
        let limiter = AuthLimiter::with_capacity(
            AuthFailureLimit { failures: 3, window: Duration::from_secs(60) },
            1_000,
        );
        let locked = ip("198.51.100.1");
        for _ in 0..4 {
            limiter.failed(locked);
        }
        for i in 0..20_000u32 {
            limiter.failed(IpAddr::V4((0x0a00_0000 + i).into()));
            if i % 100 == 0 {
                assert!(matches!(limiter.failed(locked), FailureVerdict::Refused(_)), "after {i} others");
            }
        }
        limiter.windows.run_pending_tasks();
        assert!(limiter.windows.entry_count() <= 1_000, "the table stays bounded");
        assert!(matches!(limiter.failed(locked), FailureVerdict::Refused(_)));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.5"), ["198.51.100.1"].into_iter()), ip("203.0.113.5"));

        let lb = TrustedProxies::parse(&["10.0.0.0/8", "2001:db8::1"]).unwrap();
        assert_eq!(lb.client(ip("10.1.2.3"), ["198.51.100.1"].into_iter()), ip("198.51.100.1"));
        // The client wrote the leftmost entries; the rightmost untrusted one is the client.
        assert_eq!(
            lb.client(ip("10.1.2.3"), ["1.2.3.4, 198.51.100.1", "10.9.9.9"].into_iter()),
            ip("198.51.100.1")
        );
        assert_eq!(lb.client(ip("10.1.2.3"), std::iter::empty()), ip("10.1.2.3"));
        assert_eq!(lb.client(ip("10.1.2.3"), ["garbage"].into_iter()), ip("10.1.2.3"));
        assert_eq!(lb.client(ip("::ffff:10.1.2.3"), ["198.51.100.1"].into_iter()), ip("198.51.100.1"));
        assert_eq!(lb.client(ip("203.0.113.5"), ["198.51.100.1"].into_iter()), ip("203.0.113.5"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local"]).is_err());
    }
}
