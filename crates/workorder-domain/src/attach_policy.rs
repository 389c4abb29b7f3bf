//! The configurable rules of the AttachPhoto use case: which CDN hosts a photo may point at,
//! how far in the future it may have been taken, and the CDN base its URL must follow.

use time::Duration;

use crate::photo::{CdnBaseUrl, CdnUrl};

/// Which CDN hosts a photo's URL may point at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CdnHostPolicy {
    /// Any host.
    #[default]
    Any,
    /// Only these hosts (lowercase, IDNA-encoded), compared case-insensitively.
    Only(Vec<String>),
}

/// A host in the allow-list is not a host name or address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a host name")]
pub struct InvalidCdnHost(pub String);

impl CdnHostPolicy {
    /// An allow-list of hosts, e.g. `["cdn.example.com", "Bücher.example"]`. An empty list
    /// allows nothing.
    pub fn only<I, S>(hosts: I) -> Result<Self, InvalidCdnHost>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let hosts = hosts
            .into_iter()
            .map(|host| {
                let host = host.as_ref().trim();
                let bare_host = !host.is_empty()
                    && !host.contains(['/', '?', '#', '@'])
                    && (host.starts_with('[') || !host.contains(':'));
                // The same parser as CdnUrl's, so both sides are normalised alike.
                CdnUrl::parse(&format!("https://{host}/"))
                    .ok()
                    .filter(|_| bare_host)
                    .map(|url| url.host().to_owned())
                    .ok_or_else(|| InvalidCdnHost(host.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(CdnHostPolicy::Only(hosts))
    }

    /// Whether `url` points at an allowed host.
    pub fn permits(&self, url: &CdnUrl) -> bool {
        match self {
            CdnHostPolicy::Any => true,
            CdnHostPolicy::Only(hosts) => hosts.iter().any(|h| h.eq_ignore_ascii_case(url.host())),
        }
    }
}

/// The configurable rules of the use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPolicy {
    /// Which CDN hosts are allowed.
    pub cdn_hosts: CdnHostPolicy,
    /// How far in the server's future `takenAt` may be (clocks of phones drift).
    pub max_clock_skew: Duration,
    /// When set, a photo's `cdnUrl` must be this base followed by its key.
    pub cdn_base: Option<CdnBaseUrl>,
}

impl Default for AttachPolicy {
    fn default() -> Self {
        Self { cdn_hosts: CdnHostPolicy::Any, max_clock_skew: Duration::minutes(5), cdn_base: None }
    }
}
