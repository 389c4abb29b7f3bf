//! Paging through a work order's photos: the page size a client may ask for, the opaque
//! cursor where the next page starts, and a page.

use std::fmt;

use time::OffsetDateTime;

use crate::error::{Field, FieldError};
use crate::photo::{PhotoId, PhotoView, TakenAt};

/// How many photos a page holds: 1 to 200, 50 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u16);

impl PageSize {
    /// The most a page may hold.
    pub const MAX: u16 = 200;
    /// The size of a page when none is asked for.
    pub const DEFAULT: PageSize = PageSize(50);

    /// Parses a `limit` parameter.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.parse::<u16>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new(Field::Limit, "doit être un entier de 1 à 200")),
        }
    }

    /// The size.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where the next page starts: after this photo in (takenAt, photoId) order. Clients treat it
/// as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhotoCursor {
    taken_at: TakenAt,
    photo_id: PhotoId,
}

impl PhotoCursor {
    /// The cursor just after `photo`.
    pub fn after(photo: &PhotoView) -> Self {
        Self { taken_at: photo.taken_at, photo_id: photo.photo_id }
    }

    /// When the last photo of the previous page was taken.
    pub fn taken_at(self) -> TakenAt {
        self.taken_at
    }

    /// The last photo of the previous page.
    pub fn photo_id(self) -> PhotoId {
        self.photo_id
    }

    /// Parses a cursor made by [`Display`](fmt::Display).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(Field::Cursor, "curseur invalide");
        let (micros, id) = raw.split_once('-').ok_or_else(invalid)?;
        let micros: i128 = micros.parse().map_err(|_| invalid())?;
        let nanos = micros.checked_mul(1_000).ok_or_else(invalid)?;
        let instant = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| invalid())?;
        let taken_at = TakenAt::from_instant(instant).map_err(|_| invalid())?;
        let photo_id = id.parse().map_err(|_| invalid())?;
        Ok(Self { taken_at, photo_id })
    }
}

impl fmt::Display for PhotoCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.taken_at.instant().unix_timestamp_nanos() / 1_000;
        write!(f, "{micros}-{}", self.photo_id)
    }
}

/// One page of photos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoPage {
    /// The photos, by takenAt then photoId.
    pub photos: Vec<PhotoView>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PhotoCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_1_to_200() {
        assert_eq!(PageSize::parse("1").map(PageSize::get), Ok(1));
        assert_eq!(PageSize::parse("200").map(PageSize::get), Ok(200));
        for bad in ["0", "201", "-1", "", "ten", "1.5", "99999999999", " 5"] {
            assert_eq!(PageSize::parse(bad).map_err(|e| e.field()), Err(Field::Limit), "{bad:?}");
        }
        assert_eq!(PageSize::default().get(), 50);
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = PhotoCursor {
            taken_at: TakenAt::parse("2026-04-15T12:00:00.123456Z").unwrap(),
            photo_id: "01M8ED3501T42800T2900E57BB".parse().unwrap(),
        };
        assert_eq!(PhotoCursor::parse(&cursor.to_string()), Ok(cursor));
        for bad in [
            "",
            "x",
            "1-",
            "-01M8ED3501T42800T2900E57BB",
            "abc-01M8ED3501T42800T2900E57BB",
            "1-notaulid",
            "0-01M8ED3501T42800T2900E57BB",
            "99999999999999999999999-01M8ED3501T42800T2900E57BB",
            // Found by the fuzzer: 39 digits of microseconds overflowed when scaled to nanoseconds.
            "177625440200000177625440062544020000001-01M8ED3501T42800T2900E57BB",
        ] {
            assert!(PhotoCursor::parse(bad).is_err(), "{bad:?}");
        }
    }
}
