//! Every value type's parser, on arbitrary text: it never panics, and what it accepts keeps
//! the contract's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workorder_domain::{CdnUrl, FeedCursor, ObjectKey, PhotoCursor, Step, TakenAt, TenantId, WebhookUrl, WorkOrderId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(key) = ObjectKey::parse(text) {
        let key = key.as_str();
        assert!(!key.is_empty() && key.len() <= 1024 && !key.starts_with('/'));
        assert!(!key.chars().any(char::is_control));
        assert!(key.split('/').all(|s| !s.is_empty() && s != "." && s != ".." && s.len() <= 255));
    }
    if let Ok(url) = CdnUrl::parse(text) {
        assert!(url.as_str().chars().count() <= 2048);
        let lower = url.as_str().to_ascii_lowercase();
        assert!(lower.starts_with("https://") || lower.starts_with("http://"));
        assert!(!url.host().is_empty());
        let authority = lower.split("://").nth(1).unwrap_or_default().split(['/', '?', '#']).next().unwrap_or_default();
        assert!(!authority.contains('@'));
    }
    if let Ok(taken_at) = TakenAt::parse(text) {
        assert!(taken_at.instant() >= TakenAt::EARLIEST);
        assert_eq!(taken_at.instant().nanosecond() % 1000, 0);
    }
    if let Ok(step) = Step::parse(text) {
        let n = step.as_str().chars().count();
        assert!((1..=100).contains(&n) && step.as_str() == step.as_str().trim());
        assert!(!step.as_str().chars().any(char::is_control));
    }
    if let Ok(id) = WorkOrderId::parse(text) {
        assert_eq!(id.to_string(), text.to_ascii_lowercase());
    }
    if let Ok(tenant) = TenantId::parse(text) {
        assert_eq!(tenant.as_str(), text);
    }
    if let Ok(cursor) = PhotoCursor::parse(text) {
        assert_eq!(PhotoCursor::parse(&cursor.to_string()), Ok(cursor));
    }
    if let Ok(cursor) = FeedCursor::parse(text) {
        assert_eq!(FeedCursor::parse(&cursor.to_string()), Ok(cursor));
        assert!(cursor.last_seen() <= i64::MAX as u64);
    }
    if let Ok(url) = WebhookUrl::parse(text) {
        assert!(CdnUrl::parse(text).is_ok(), "a webhook URL follows the CDN URL's rule");
        assert_eq!(url.as_str(), text);
    }
});
