//! The ListPhotos use case: a work order's photos, in the order a technician or a reviewer
//! wants them (when taken, then by id), a page at a time.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::identity::Principal;
use crate::paging::{PageSize, PhotoCursor, PhotoPage};
use crate::ports::WorkOrderReader;
use crate::work_order::WorkOrderId;

/// The ListPhotos use case.
#[derive(Clone)]
pub struct ListPhotos {
    reader: Arc<dyn WorkOrderReader>,
}

impl fmt::Debug for ListPhotos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListPhotos").finish_non_exhaustive()
    }
}

impl ListPhotos {
    /// The use case over its port.
    pub fn new(reader: Arc<dyn WorkOrderReader>) -> Self {
        Self { reader }
    }

    /// A page of the work order's photos for `principal`'s tenant.
    ///
    /// Returns [`Error::InvalidQuery`] listing every bad
    /// parameter, then [`Error::WorkOrderNotFound`] (also for another tenant's work order).
    pub async fn list(
        &self,
        principal: &Principal,
        work_order_id: WorkOrderId,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<PhotoPage, Error> {
        let size = limit.map(PageSize::parse).transpose();
        let after = cursor.map(PhotoCursor::parse).transpose();
        let (size, after) = match (size, after) {
            (Ok(size), Ok(after)) => (size.unwrap_or_default(), after),
            (size, after) => {
                return Err(Error::InvalidQuery(size.err().into_iter().chain(after.err()).collect()));
            }
        };
        // One more than asked tells whether there is a next page without a count.
        let mut photos = self.reader.photos(principal.tenant(), work_order_id, after, size.get() + 1).await?;
        let next = if photos.len() > size.get() {
            photos.truncate(size.get());
            photos.last().map(PhotoCursor::after)
        } else {
            None
        };
        Ok(PhotoPage { photos, next })
    }
}
