//! Property tests of the magic-byte checks: whatever the bytes, a check never panics; a
//! signature followed by anything is recognised; and what is recognised starts as the
//! contract says each format starts.

use proptest::prelude::*;
use workorder_domain::PhotoContentType;

const HEIF_BRANDS: [&[u8; 4]; 10] =
    [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"];

/// An `ftyp` box with `major` and `compatible` brands, then `tail`.
fn ftyp(major: [u8; 4], compatible: &[[u8; 4]], tail: &[u8]) -> Vec<u8> {
    let size = u32::try_from(16 + 4 * compatible.len()).unwrap_or(u32::MAX);
    let mut bytes = size.to_be_bytes().to_vec();
    bytes.extend_from_slice(b"ftyp");
    bytes.extend_from_slice(&major);
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    compatible.iter().for_each(|b| bytes.extend_from_slice(b));
    bytes.extend_from_slice(tail);
    bytes
}

fn is_heif_brand(brand: &[u8]) -> bool {
    HEIF_BRANDS.iter().any(|b| b.as_slice() == brand)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn what_is_recognised_starts_with_its_formats_signature(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        for format in PhotoContentType::ALL {
            if format.matches(&bytes) {
                match format {
                    PhotoContentType::Jpeg => prop_assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF])),
                    PhotoContentType::Png => prop_assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
                    PhotoContentType::Webp => prop_assert!(bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP"),
                    PhotoContentType::Heic | PhotoContentType::Heif => {
                        prop_assert_eq!(&bytes[4..8], b"ftyp");
                        let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
                        let end = bytes.len().min(size);
                        let major = is_heif_brand(&bytes[8..12]);
                        let compatible = bytes.get(16..end).is_some_and(|b| b.chunks_exact(4).any(is_heif_brand));
                        prop_assert!(major || compatible);
                    }
                }
            }
        }
    }

    #[test]
    fn a_signature_followed_by_anything_is_recognised(tail in prop::collection::vec(any::<u8>(), 0..60), riff_size in any::<[u8; 4]>()) {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF];
        jpeg.extend_from_slice(&tail);
        prop_assert!(PhotoContentType::Jpeg.matches(&jpeg));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&tail);
        prop_assert!(PhotoContentType::Png.matches(&png));
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&riff_size);
        webp.extend_from_slice(b"WEBP");
        webp.extend_from_slice(&tail);
        prop_assert!(PhotoContentType::Webp.matches(&webp));
        prop_assert!(!PhotoContentType::Jpeg.matches(&png) && !PhotoContentType::Png.matches(&jpeg));
    }

    #[test]
    fn a_heif_brand_anywhere_in_the_ftyp_box_is_recognised(
        others in prop::collection::vec(any::<[u8; 4]>(), 0..6),
        brand in 0..HEIF_BRANDS.len(),
        at in 0..7usize,
        as_major in any::<bool>(),
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let brand = *HEIF_BRANDS[brand];
        let bytes = if as_major {
            ftyp(brand, &others, &tail)
        } else {
            let mut compatible = others.clone();
            compatible.insert(at.min(compatible.len()), brand);
            ftyp(*b"mp42", &compatible, &tail)
        };
        prop_assert!(PhotoContentType::Heic.matches(&bytes) && PhotoContentType::Heif.matches(&bytes));
    }

    #[test]
    fn an_ftyp_box_without_a_heif_brand_is_not_heif(
        others in prop::collection::vec(any::<[u8; 4]>(), 0..6),
        major in any::<[u8; 4]>(),
    ) {
        prop_assume!(!is_heif_brand(&major) && !others.iter().any(|b| is_heif_brand(b)));
        prop_assert!(!PhotoContentType::Heic.matches(&ftyp(major, &others, b"")));
    }
}
