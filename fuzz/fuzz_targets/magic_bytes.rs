//! The magic-byte checks and the object-storage value types, on arbitrary bytes: nothing
//! panics, a format is recognised only when its signature is there, and what a parser
//! accepts keeps its rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workorder_domain::{CdnBaseUrl, ObjectKey, PhotoContentType, Sha256Digest};

fuzz_target!(|data: &[u8]| {
    for format in PhotoContentType::ALL {
        if format.matches(data) {
            let signature_there = match format {
                PhotoContentType::Jpeg => data.starts_with(&[0xFF, 0xD8, 0xFF]),
                PhotoContentType::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
                PhotoContentType::Webp => data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP"),
                PhotoContentType::Heic | PhotoContentType::Heif => data.get(4..8) == Some(b"ftyp"),
            };
            assert!(signature_there, "{format} recognised without its signature");
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(format) = PhotoContentType::parse(text) {
        assert!(text.to_ascii_lowercase().contains(format.as_str()));
    }
    if let Ok(digest) = Sha256Digest::parse_hex(text) {
        assert_eq!(digest.to_hex(), text.to_ascii_lowercase());
    }
    if let Ok(base) = CdnBaseUrl::parse(text) {
        let key = ObjectKey::parse("acme/a b/ç.jpg").expect("a key");
        assert!(base.url_of(&key).ends_with("acme/a%20b/%C3%A7.jpg"));
    }
});
