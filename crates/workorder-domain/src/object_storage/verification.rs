//! What an object store holds under a key, and the domain's judgement of it: a photo the
//! service may record, or the reasons it may not.

use std::fmt;

use time::OffsetDateTime;

use super::content_type::PhotoContentType;
use super::policy::ObjectPolicy;
use crate::error::{Error, Field, FieldError};

/// A SHA-256 digest: 32 bytes, written as 64 hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest([u8; 32]);

/// The text is not 64 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a SHA-256 digest is 64 hexadecimal digits")]
pub struct InvalidSha256;

impl Sha256Digest {
    /// The digest of these bytes (as a hash function computed them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hexadecimal digits, of either case.
    pub fn parse_hex(raw: &str) -> Result<Self, InvalidSha256> {
        let raw = raw.as_bytes();
        if raw.len() != 64 {
            return Err(InvalidSha256);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(raw.chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16).ok_or(InvalidSha256);
            // Each digit is below 16, so the byte fits.
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).map_err(|_| InvalidSha256)?;
        }
        Ok(Self(bytes))
    }

    /// The 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut hex, b| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

/// What an object store says of the object under a key: the answer of
/// [`ObjectStore::describe`](crate::ObjectStore::describe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The content type stored with it, as the store gives it; `None` when it has none.
    pub content_type: Option<String>,
    /// Its entity tag, as the store gives it (quotes removed).
    pub etag: String,
    /// Its SHA-256, when the store knows it (an upload that sent one).
    pub sha256: Option<Sha256Digest>,
    /// Its first bytes, at most as many as were asked for.
    pub first_bytes: Vec<u8>,
}

/// What was verified of a photo's object, recorded with the photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedObject {
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its content type, an accepted one.
    pub content_type: PhotoContentType,
    /// Its entity tag.
    pub etag: String,
    /// Its SHA-256, when the store knew it.
    pub sha256: Option<Sha256Digest>,
    /// When it was verified (to the microsecond).
    pub verified_at: OffsetDateTime,
}

/// Judges a stored object against the policy: accepted as a [`VerifiedObject`] verified at
/// `verified_at`, or [`Error::PhotoObjectRejected`] listing every reason (`size` over the
/// maximum, a `contentType` not accepted, `content` whose first bytes are not of its type).
pub fn judge(
    stored: &StoredObject,
    policy: &ObjectPolicy,
    verified_at: OffsetDateTime,
) -> Result<VerifiedObject, Error> {
    let mut reasons = Vec::new();
    if stored.size_bytes > policy.max_bytes.get() {
        reasons.push(FieldError::new(
            Field::Size,
            format!("dépasse la taille maximale de {} octets", policy.max_bytes.get()),
        ));
    }
    let content_type = stored.content_type.as_deref().map(PhotoContentType::parse);
    let accepted = match content_type {
        Some(Ok(t)) if policy.content_types.accepts(t) => Some(t),
        Some(Ok(_) | Err(_)) => {
            reasons.push(FieldError::new(Field::ContentType, "type de contenu non accepté"));
            None
        }
        None => {
            reasons.push(FieldError::new(Field::ContentType, "type de contenu absent"));
            None
        }
    };
    // The bytes are judged against the stored type only when that type is accepted: against
    // a refused one there is nothing to compare.
    if let Some(t) = accepted
        && !t.matches(&stored.first_bytes)
    {
        reasons.push(FieldError::new(
            Field::Content,
            format!("les premiers octets ne sont pas ceux d'une image {t}"),
        ));
    }
    match accepted {
        Some(content_type) if reasons.is_empty() => Ok(VerifiedObject {
            size_bytes: stored.size_bytes,
            content_type,
            etag: stored.etag.clone(),
            sha256: stored.sha256,
            verified_at,
        }),
        _ => Err(Error::PhotoObjectRejected(reasons)),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::object_storage::policy::MaxPhotoBytes;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0];

    fn stored(size: u64, content_type: Option<&str>, first_bytes: &[u8]) -> StoredObject {
        StoredObject {
            size_bytes: size,
            content_type: content_type.map(str::to_owned),
            etag: "abc".to_owned(),
            sha256: None,
            first_bytes: first_bytes.to_vec(),
        }
    }

    fn reasons(result: Result<VerifiedObject, Error>) -> Vec<Field> {
        match result {
            Err(Error::PhotoObjectRejected(reasons)) => reasons.iter().map(FieldError::field).collect(),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_jpeg_within_the_maximum_is_accepted_with_what_the_store_said() {
        let policy = ObjectPolicy { max_bytes: MaxPhotoBytes::new(4).unwrap(), ..ObjectPolicy::default() };
        let at = datetime!(2026-04-15 12:00 UTC);
        let verified = judge(&stored(4, Some("image/jpeg"), JPEG), &policy, at).unwrap();
        assert_eq!(
            verified,
            VerifiedObject {
                size_bytes: 4,
                content_type: PhotoContentType::Jpeg,
                etag: "abc".into(),
                sha256: None,
                verified_at: at
            }
        );
    }

    #[test]
    fn every_reason_is_listed_in_the_order_size_type_content() {
        let policy = ObjectPolicy { max_bytes: MaxPhotoBytes::new(3).unwrap(), ..ObjectPolicy::default() };
        let now = datetime!(2026-04-15 12:00 UTC);
        assert_eq!(reasons(judge(&stored(4, Some("image/jpeg"), JPEG), &policy, now)), [Field::Size]);
        assert_eq!(
            reasons(judge(&stored(4, Some("image/png"), JPEG), &policy, now)),
            [Field::Size, Field::Content]
        );
        assert_eq!(reasons(judge(&stored(2, Some("text/plain"), b"hi"), &policy, now)), [Field::ContentType]);
        assert_eq!(reasons(judge(&stored(2, None, JPEG), &policy, now)), [Field::ContentType]);
        let only_png = ObjectPolicy {
            content_types: crate::AcceptedContentTypes::parse_list("image/png").unwrap(),
            ..ObjectPolicy::default()
        };
        assert_eq!(
            reasons(judge(&stored(4, Some("image/jpeg"), JPEG), &only_png, now)),
            [Field::ContentType]
        );
    }

    #[test]
    fn a_digest_reads_and_writes_64_hex_digits() {
        let hex = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        let digest = Sha256Digest::parse_hex(hex).unwrap();
        assert_eq!(digest.to_hex(), hex.to_ascii_lowercase());
        assert_eq!(digest.bytes()[0], 0xE3);
        assert!(Sha256Digest::parse_hex(&hex[1..]).is_err());
        assert!(Sha256Digest::parse_hex(&hex.replace('E', "g")).is_err());
        assert!(Sha256Digest::parse_hex(&"é".repeat(32)).is_err());
    }
}
