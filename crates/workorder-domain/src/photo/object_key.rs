//! A photo's key in MinIO, under MinIO's limits.

use std::fmt;

/// The key of the photo's object in MinIO, within MinIO's limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

/// Why a text is not an object key. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ObjectKeyError {
    /// The key is empty.
    #[error("the object key is empty")]
    Empty,
    /// The key is over 1024 bytes of UTF-8.
    #[error("the object key is over 1024 bytes")]
    TooLong,
    /// The key holds a control character.
    #[error("the object key holds a control character")]
    ControlCharacter,
    /// The key starts with `/`.
    #[error("the object key starts with /")]
    LeadingSlash,
    /// The key has an empty segment (`a//b`, or a trailing `/`).
    #[error("the object key has an empty segment")]
    EmptySegment,
    /// The key has a `.` or `..` segment.
    #[error("the object key has a . or .. segment")]
    DotSegment,
    /// A segment between `/` is over 255 bytes.
    #[error("the object key has a segment over 255 bytes")]
    SegmentTooLong,
}

impl ObjectKeyError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            ObjectKeyError::Empty => "ne doit pas être vide",
            ObjectKeyError::TooLong => "dépasse 1024 octets",
            ObjectKeyError::ControlCharacter => "contient un caractère de contrôle",
            ObjectKeyError::LeadingSlash => "ne doit pas commencer par « / »",
            ObjectKeyError::EmptySegment => "contient un segment vide",
            ObjectKeyError::DotSegment => "contient un segment « . » ou « .. »",
            ObjectKeyError::SegmentTooLong => "contient un segment de plus de 255 octets",
        }
    }
}

impl ObjectKey {
    /// The longest key, in bytes of UTF-8.
    pub const MAX_BYTES: usize = 1024;
    /// The longest segment between `/`, in bytes of UTF-8.
    pub const MAX_SEGMENT_BYTES: usize = 255;

    /// Parses an object key: 1 to 1024 bytes, no control character, no leading `/`, no empty,
    /// `.` or `..` segment, no segment over 255 bytes.
    pub fn parse(raw: &str) -> Result<Self, ObjectKeyError> {
        if raw.is_empty() {
            return Err(ObjectKeyError::Empty);
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(ObjectKeyError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(ObjectKeyError::ControlCharacter);
        }
        if raw.starts_with('/') {
            return Err(ObjectKeyError::LeadingSlash);
        }
        for segment in raw.split('/') {
            match segment {
                "" => return Err(ObjectKeyError::EmptySegment),
                "." | ".." => return Err(ObjectKeyError::DotSegment),
                s if s.len() > Self::MAX_SEGMENT_BYTES => {
                    return Err(ObjectKeyError::SegmentTooLong);
                }
                _ => {}
            }
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_follow_minios_limits() {
        let at_limit = vec!["x".repeat(204); 5].join("/"); // 5 × 204 + 4 = 1024 bytes
        let e_acute_255 = format!("{}é", "a".repeat(253)); // 253 + 2 bytes = 255
        let e_acute_256 = format!("{}é", "a".repeat(254)); // 254 + 2 bytes = 256
        let euros = vec!["€".repeat(85); 3].join("/"); // 3 × 255 + 2 = 767 bytes
        let multibyte_1024 = format!("{euros}/{}/{}é", "a".repeat(200), "a".repeat(53));
        let multibyte_1025 = format!("{euros}/{}/{}é", "a".repeat(200), "a".repeat(54));
        let cases: Vec<(String, Result<(), ObjectKeyError>)> = vec![
            ("photo.jpg".into(), Ok(())),
            ("wo/2026/front.jpg".into(), Ok(())),
            ("a..b/c.d".into(), Ok(())),
            ("emoji/📷.jpg".into(), Ok(())),
            ("a".repeat(255), Ok(())),
            (at_limit.clone(), Ok(())),
            (e_acute_255, Ok(())),
            (multibyte_1024.clone(), Ok(())),
            (String::new(), Err(ObjectKeyError::Empty)),
            (format!("{at_limit}b"), Err(ObjectKeyError::TooLong)),
            ("x".repeat(5000), Err(ObjectKeyError::TooLong)),
            (multibyte_1025.clone(), Err(ObjectKeyError::TooLong)),
            ("a".repeat(256), Err(ObjectKeyError::SegmentTooLong)),
            (format!("x/{e_acute_256}"), Err(ObjectKeyError::SegmentTooLong)),
            ("/abs.jpg".into(), Err(ObjectKeyError::LeadingSlash)),
            ("a//b".into(), Err(ObjectKeyError::EmptySegment)),
            ("a/".into(), Err(ObjectKeyError::EmptySegment)),
            ("./a".into(), Err(ObjectKeyError::DotSegment)),
            ("a/../b".into(), Err(ObjectKeyError::DotSegment)),
            ("a/..".into(), Err(ObjectKeyError::DotSegment)),
            ("a\0b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\nb".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{7f}b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{85}b".into(), Err(ObjectKeyError::ControlCharacter)),
            ("a\u{9f}b".into(), Err(ObjectKeyError::ControlCharacter)),
        ];
        assert_eq!((at_limit.len(), multibyte_1024.len(), multibyte_1025.len()), (1024, 1024, 1025));
        for (raw, expected) in cases {
            assert_eq!(ObjectKey::parse(&raw).map(|_| ()), expected, "{:?}", raw.get(..40));
        }
    }
}
