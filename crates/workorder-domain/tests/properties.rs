//! Property tests of the value types: whatever the input, a parser never panics, what it
//! accepts keeps the contract's rules, and what is valid by construction is accepted.

use proptest::prelude::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use workorder_domain::{CdnBaseUrl, CdnUrl, ObjectKey, PhotoCursor, Step, TakenAt, TenantId, WorkOrderId};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn an_accepted_object_key_keeps_minios_limits(raw in "\\PC{0,40}(/\\PC{0,40}){0,4}|.{0,1100}") {
        if let Ok(key) = ObjectKey::parse(&raw) {
            let key = key.as_str();
            prop_assert!(!key.is_empty() && key.len() <= 1024 && !key.starts_with('/'));
            prop_assert!(!key.chars().any(char::is_control));
            prop_assert!(key.split('/').all(|s| !s.is_empty() && s != "." && s != ".." && s.len() <= 255));
        }
    }

    #[test]
    fn well_formed_keys_are_accepted(segments in prop::collection::vec("[a-zA-Z0-9_é€📷 -]{1,40}", 1..6)) {
        let key = segments.join("/");
        prop_assume!(key.len() <= 1024 && segments.iter().all(|s| s != "." && s != ".."));
        prop_assert_eq!(ObjectKey::parse(&key).map(|k| k.as_str().to_owned()), Ok(key));
    }

    #[test]
    fn an_accepted_cdn_url_is_absolute_http_without_user_info(raw in "(https?|HTTPS?|ftp)://[a-z0-9.@:\\[\\]-]{0,30}(/[\\PC]{0,30})?|\\PC{0,60}") {
        if let Ok(url) = CdnUrl::parse(&raw) {
            let lower = url.as_str().to_ascii_lowercase();
            prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
            let authority = lower.split("://").nth(1).unwrap_or_default().split(['/', '?', '#']).next().unwrap_or_default();
            prop_assert!(!authority.is_empty() && !authority.contains('@'));
            prop_assert!(!url.host().is_empty());
        }
    }

    #[test]
    fn every_instant_from_2000_round_trips_through_rfc3339(
        seconds in 946_684_800i64..253_402_300_799,
        nanos in 0u32..1_000_000_000,
        offset_minutes in -1439i32..1440,
    ) {
        let instant = OffsetDateTime::from_unix_timestamp(seconds).unwrap().replace_nanosecond(nanos).unwrap();
        let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
        let Some(local) = instant.checked_to_offset(offset) else { return Ok(()) };
        let text = local.format(&Rfc3339).unwrap();
        let parsed = TakenAt::parse(&text);
        if local.year() > 9999 || local.year() < 0 {
            prop_assert!(parsed.is_err());
        } else {
            let taken_at = parsed.unwrap();
            prop_assert_eq!(taken_at.instant().unix_timestamp(), seconds);
            prop_assert_eq!(taken_at.instant().nanosecond(), nanos / 1000 * 1000);
        }
    }

    #[test]
    fn taken_at_never_accepts_text_without_an_offset(raw in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?") {
        prop_assert!(TakenAt::parse(&raw).is_err());
    }

    #[test]
    fn an_accepted_step_is_trimmed_bounded_and_clean(raw in "\\s{0,3}\\PC{0,110}\\s{0,3}|.{0,20}") {
        if let Ok(step) = Step::parse(&raw) {
            let s = step.as_str();
            prop_assert_eq!(s, raw.trim());
            prop_assert!((1..=100).contains(&s.chars().count()));
            prop_assert!(!s.chars().any(char::is_control));
        }
    }

    #[test]
    fn every_uuid_in_either_case_is_a_work_order_id(bytes in any::<[u8; 16]>(), upper in any::<bool>()) {
        let uuid = uuid::Uuid::from_bytes(bytes);
        let text = uuid.hyphenated().to_string();
        let text = if upper { text.to_uppercase() } else { text };
        prop_assert_eq!(WorkOrderId::parse(&text).map(|id| id.to_string()), Ok(uuid.hyphenated().to_string()));
        prop_assert!(WorkOrderId::parse(&uuid.simple().to_string()).is_err());
    }

    #[test]
    fn any_text_is_a_tenant_only_if_it_is_a_slug(raw in "[a-z0-9-]{1,64}|\\PC{0,70}") {
        let slug = !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        prop_assert_eq!(TenantId::parse(&raw).is_ok(), slug);
    }

    #[test]
    fn cursors_round_trip(seconds in 946_684_800i64..253_402_300_799, micros in 0u32..1_000_000, id in any::<u128>()) {
        let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap().replace_microsecond(micros).unwrap();
        let text = format!("{}-{}", at.unix_timestamp_nanos() / 1000, ulid::Ulid(id));
        let cursor = PhotoCursor::parse(&text).unwrap();
        prop_assert_eq!(cursor.to_string(), text);
        prop_assert_eq!(cursor.taken_at().instant(), at);
    }

    #[test]
    fn a_keys_cdn_url_decodes_back_to_the_key_and_shows_only_unreserved_bytes(
        segments in prop::collection::vec("[a-zA-Z0-9_é€📷 %+~.()-]{1,30}", 1..5),
    ) {
        let key = segments.join("/");
        prop_assume!(segments.iter().all(|s| s != "." && s != ".."));
        let key = ObjectKey::parse(&key).unwrap();
        let base = CdnBaseUrl::parse("https://cdn.example.com/p/").unwrap();
        let url = base.url_of(&key);
        let path = url.strip_prefix("https://cdn.example.com/p/").unwrap();
        prop_assert!(path.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)));
        let decoded: Option<Vec<String>> = path.split('/').map(percent_decode).collect();
        prop_assert_eq!(decoded.map(|d| d.join("/")), Some(key.as_str().to_owned()));
        prop_assert!(base.serves(&key, &CdnUrl::parse(&url).unwrap()));
    }
}

/// `%XX` back to bytes, the rest as is; `None` for a malformed escape or bytes that are not
/// UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(segment.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
