//! Failed authentications are limited per client address, so guessing keys is pointless and
//! floods of bad keys cost no database reads. Valid clients are not slowed: only failures
//! count, and an address is refused only after many failures in a short window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Addresses tracked at most; past that, windows that ended are swept, then all are forgotten
/// (an attacker spraying addresses gains nothing the limit would have stopped anyway).
const MAX_TRACKED: usize = 100_000;

/// Counts failures per address in fixed windows.
#[derive(Debug, Default)]
pub struct AuthLimiter {
    limit: AuthFailureLimit,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl AuthLimiter {
    /// A limiter with this limit.
    pub fn new(limit: AuthFailureLimit) -> Self {
        Self { limit, windows: Mutex::default() }
    }

    /// `Some(wait)` if `client` is refused now, for `wait` more.
    pub(crate) fn refused(&self, client: IpAddr) -> Option<Duration> {
        if self.limit.failures == 0 {
            return None;
        }
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let window = windows.get(&client)?;
        let elapsed = window.started.elapsed();
        (window.failures >= self.limit.failures && elapsed < self.limit.window)
            .then(|| self.limit.window - elapsed)
    }

    /// Counts a failed authentication from `client`.
    pub(crate) fn failed(&self, client: IpAddr) {
        if self.limit.failures == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= MAX_TRACKED && !windows.contains_key(&client) {
            let window = self.limit.window;
            windows.retain(|_, w| w.started.elapsed() < window);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let now = Instant::now();
        let entry = windows.entry(client).or_insert(Window { started: now, failures: 0 });
        if entry.started.elapsed() >= self.limit.window {
            *entry = Window { started: now, failures: 0 };
        }
        entry.failures = entry.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_the_limit_until_the_window_ends() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 3, window: Duration::from_millis(200) });
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limiter.refused(a), None);
            limiter.failed(a);
        }
        let wait = limiter.refused(a).unwrap();
        assert!(wait <= Duration::from_millis(200));
        assert_eq!(limiter.refused(b), None, "other addresses are not affected");
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(limiter.refused(a), None);
    }

    #[test]
    fn a_zero_limit_disables_it() {
        let limiter = AuthLimiter::new(AuthFailureLimit { failures: 0, window: Duration::from_secs(60) });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..100 {
            limiter.failed(a);
        }
        assert_eq!(limiter.refused(a), None);
    }
}
