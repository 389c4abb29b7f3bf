//! The photo formats the service accepts, and how each is recognised by its first bytes.

use std::fmt;

/// A photo format: its media type, the extension its upload keys take, and its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhotoContentType {
    /// `image/jpeg`, `.jpg`.
    Jpeg,
    /// `image/png`, `.png`.
    Png,
    /// `image/heic`, `.heic`.
    Heic,
    /// `image/heif`, `.heif`.
    Heif,
    /// `image/webp`, `.webp`.
    Webp,
}

/// The text names none of the accepted photo formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not one of image/jpeg, image/png, image/heic, image/heif, image/webp")]
pub struct UnknownContentType(pub String);

/// The ISO-BMFF brands that mark a HEIC or HEIF image, as the contract lists them.
const HEIF_BRANDS: [&[u8; 4]; 10] =
    [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"];

impl PhotoContentType {
    /// Every format, in the order of the default setting.
    pub const ALL: [PhotoContentType; 5] = [Self::Jpeg, Self::Png, Self::Heic, Self::Heif, Self::Webp];

    /// How many first bytes [`PhotoContentType::matches`] needs at most to recognise a format
    /// (a HEIF `ftyp` box lists its compatible brands; 64 bytes hold a dozen).
    pub const SNIFF_BYTES: usize = 64;

    /// Parses a media type, case-insensitively; parameters (`; charset=…`) and white space
    /// around it are ignored, as HTTP allows.
    pub fn parse(raw: &str) -> Result<Self, UnknownContentType> {
        let essence = raw.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(essence))
            .ok_or_else(|| UnknownContentType(raw.to_owned()))
    }

    /// The media type, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Heic => "image/heic",
            Self::Heif => "image/heif",
            Self::Webp => "image/webp",
        }
    }

    /// The extension of an upload key of this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Heic => "heic",
            Self::Heif => "heif",
            Self::Webp => "webp",
        }
    }

    /// Whether `first_bytes`, the start of an object, are of this format: JPEG `FF D8 FF`;
    /// PNG's eight-byte signature; HEIC and HEIF an `ftyp` box at offset 4 whose major brand
    /// or one of its compatible brands is a HEIF brand; WebP `RIFF` then `WEBP` at offset 8.
    pub fn matches(self, first_bytes: &[u8]) -> bool {
        match self {
            Self::Jpeg => first_bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            Self::Png => first_bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            Self::Heic | Self::Heif => has_heif_brand(first_bytes),
            Self::Webp => first_bytes.starts_with(b"RIFF") && first_bytes.get(8..12) == Some(b"WEBP"),
        }
    }
}

/// An `ftyp` box at offset 4: size (4 bytes, big-endian), `ftyp`, major brand, minor version,
/// then compatible brands up to the box's end (or the bytes read, whichever comes first).
fn has_heif_brand(bytes: &[u8]) -> bool {
    let Some(size) = bytes.get(0..4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])) else {
        return false;
    };
    if bytes.get(4..8) != Some(b"ftyp") || size < 16 {
        return false;
    }
    let end = bytes.len().min(usize::try_from(size).unwrap_or(usize::MAX));
    let is_heif = |brand: &[u8]| HEIF_BRANDS.iter().any(|b| b.as_slice() == brand);
    let major = bytes.get(8..12).is_some_and(is_heif);
    major || bytes.get(16..end).is_some_and(|brands| brands.chunks_exact(4).any(is_heif))
}

impl fmt::Display for PhotoContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PhotoContentType {
    type Err = UnknownContentType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = u32::try_from(16 + 4 * compatible.len()).unwrap_or(u32::MAX);
        let mut bytes = size.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"ftyp");
        bytes.extend_from_slice(major);
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            bytes.extend_from_slice(*brand);
        }
        bytes.extend_from_slice(b"\0\0\0\x08meta");
        bytes
    }

    #[test]
    fn each_format_is_recognised_by_its_signature_and_no_other() {
        let samples: [(PhotoContentType, Vec<u8>); 4] = [
            (PhotoContentType::Jpeg, vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            (PhotoContentType::Png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
            (PhotoContentType::Heic, ftyp(b"heic", &[b"mif1", b"heic"])),
            (PhotoContentType::Webp, b"RIFF\x24\0\0\0WEBPVP8 ".to_vec()),
        ];
        for (format, bytes) in &samples {
            for other in PhotoContentType::ALL {
                let heif_pair = matches!(
                    (format, other),
                    (PhotoContentType::Heic, PhotoContentType::Heif | PhotoContentType::Heic)
                );
                assert_eq!(
                    other.matches(bytes),
                    other == *format || heif_pair,
                    "{other} on {format}'s bytes"
                );
            }
        }
    }

    #[test]
    fn a_heif_brand_counts_only_inside_the_ftyp_box() {
        assert!(PhotoContentType::Heif.matches(&ftyp(b"mp42", &[b"isom", b"msf1"])));
        assert!(!PhotoContentType::Heif.matches(&ftyp(b"mp42", &[b"isom", b"avif"])));
        // A box of 16 bytes lists no compatible brand: "mif1" after it is another box's data.
        let mut short = ftyp(b"mp42", &[]);
        short.extend_from_slice(b"mif1");
        assert!(!PhotoContentType::Heic.matches(&short));
        assert!(!PhotoContentType::Heic.matches(b"\0\0\0\x18moov"));
        assert!(!PhotoContentType::Heic.matches(b""));
    }

    #[test]
    fn media_types_parse_without_regard_to_case_or_parameters() {
        assert_eq!(PhotoContentType::parse("IMAGE/JPEG"), Ok(PhotoContentType::Jpeg));
        assert_eq!(PhotoContentType::parse("image/png; charset=binary"), Ok(PhotoContentType::Png));
        assert!(PhotoContentType::parse("image/gif").is_err());
        assert!(PhotoContentType::parse("image/jpeg2").is_err());
        assert!(PhotoContentType::parse("").is_err());
    }
}
