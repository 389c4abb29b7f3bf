//! Work orders: their identity and their status.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;
use uuid::Uuid;

/// A work order's id: a UUID of any version.
///
/// Parsed only from the hyphenated form (any case); shown as canonical lowercase hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkOrderId(Uuid);

/// The text is not a hyphenated UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a work-order id is a hyphenated UUID")]
pub struct InvalidWorkOrderId;

impl WorkOrderId {
    /// Parses the hyphenated form, e.g. `2489E9AD-2EE2-8E00-8EC9-32D5F69181C0`. Braced, URN and
    /// unhyphenated spellings are refused: the contract names one form, and one form keeps ids
    /// comparable in logs and URLs.
    pub fn parse(raw: &str) -> Result<Self, InvalidWorkOrderId> {
        let bytes = raw.as_bytes();
        let shaped = bytes.len() == 36
            && bytes.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if !shaped {
            return Err(InvalidWorkOrderId);
        }
        Uuid::try_parse(raw).map(Self).map_err(|_| InvalidWorkOrderId)
    }

    /// Wraps a UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The UUID.
    pub fn uuid(self) -> Uuid {
        self.0
    }
}

impl FromStr for WorkOrderId {
    type Err = InvalidWorkOrderId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for WorkOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

/// Where a work order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkOrderStatus {
    /// Scheduled, not started.
    Planned,
    /// A technician is on it.
    InProgress,
    /// Paused.
    OnHold,
    /// Work done; photos still accepted, since offline apps sync after completion.
    Completed,
    /// Locked: no more photos.
    Closed,
    /// Called off: no more photos.
    Cancelled,
}

/// The text is not one of the work-order statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown work-order status (expected one of PLANNED, IN_PROGRESS, ON_HOLD, COMPLETED, CLOSED, CANCELLED)"
)]
pub struct UnknownWorkOrderStatus;

impl WorkOrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [WorkOrderStatus; 6] = [
        WorkOrderStatus::Planned,
        WorkOrderStatus::InProgress,
        WorkOrderStatus::OnHold,
        WorkOrderStatus::Completed,
        WorkOrderStatus::Closed,
        WorkOrderStatus::Cancelled,
    ];

    /// Whether photos may still be attached.
    pub fn accepts_photos(self) -> bool {
        !matches!(self, WorkOrderStatus::Closed | WorkOrderStatus::Cancelled)
    }

    /// The statuses that refuse photos, for a store that must repeat the rule in its own
    /// language (SQL); its tests check that it agrees with [`accepts_photos`](Self::accepts_photos).
    pub fn refusing_photos() -> impl Iterator<Item = WorkOrderStatus> {
        Self::ALL.into_iter().filter(|status| !status.accepts_photos())
    }

    /// The status as the contract spells it, e.g. `IN_PROGRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkOrderStatus::Planned => "PLANNED",
            WorkOrderStatus::InProgress => "IN_PROGRESS",
            WorkOrderStatus::OnHold => "ON_HOLD",
            WorkOrderStatus::Completed => "COMPLETED",
            WorkOrderStatus::Closed => "CLOSED",
            WorkOrderStatus::Cancelled => "CANCELLED",
        }
    }
}

impl FromStr for WorkOrderStatus {
    type Err = UnknownWorkOrderStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|status| status.as_str() == s).ok_or(UnknownWorkOrderStatus)
    }
}

impl fmt::Display for WorkOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A work order as the read side shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderView {
    /// Its id.
    pub id: WorkOrderId,
    /// Its status.
    pub status: WorkOrderStatus,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// How many photos it has.
    pub photo_count: u64,
    /// When it was created (UTC).
    pub created_at: OffsetDateTime,
    /// When it last changed (UTC).
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_order_ids_accept_any_case_and_version_and_print_lowercase() {
        let id = WorkOrderId::parse("2489E9AD-2EE2-8E00-8EC9-32D5F69181C0").expect("v8 uuid");
        assert_eq!(id.to_string(), "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0");
        for ok in [
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "2489e9ad-2EE2-8e00-8EC9-32d5f69181c0",
        ] {
            assert!(WorkOrderId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn work_order_ids_refuse_every_other_spelling() {
        for bad in [
            "",
            "not-a-uuid",
            "2489e9ad2ee28e008ec932d5f69181c0",
            "{2489e9ad-2ee2-8e00-8ec9-32d5f69181c0}",
            "urn:uuid:2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
            " 2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
            "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0 ",
            "2489e9ad-2ee2-8e00-8ec9-32d5f69181cg",
            "2489e9ad-2ee28-e00-8ec9-32d5f69181c0",
            "2489e9ad-2ee2-8e00-8ec9-32d5f69181c",
            "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0a",
            "２489e9ad-2ee2-8e00-8ec9-32d5f69181c",
        ] {
            assert_eq!(WorkOrderId::parse(bad), Err(InvalidWorkOrderId), "{bad:?}");
        }
    }

    #[test]
    fn photos_are_refused_only_in_closed_and_cancelled() {
        let accepting: Vec<_> = WorkOrderStatus::ALL.into_iter().filter(|s| s.accepts_photos()).collect();
        assert_eq!(
            accepting,
            [
                WorkOrderStatus::Planned,
                WorkOrderStatus::InProgress,
                WorkOrderStatus::OnHold,
                WorkOrderStatus::Completed
            ]
        );
    }

    #[test]
    fn statuses_round_trip_through_their_contract_spelling() {
        for status in WorkOrderStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert_eq!("closed".parse::<WorkOrderStatus>(), Err(UnknownWorkOrderStatus));
        assert_eq!("".parse::<WorkOrderStatus>(), Err(UnknownWorkOrderStatus));
    }
}
