//! The GetPhoto use case: one photo of a work order (the target of an attach's `Location`).

use std::sync::Arc;

use crate::error::Error;
use crate::identity::Principal;
use crate::photo::{PhotoId, PhotoView};
use crate::ports::WorkOrderReader;
use crate::work_order::WorkOrderId;

/// The GetPhoto use case.
#[derive(Clone)]
pub struct GetPhoto {
    reader: Arc<dyn WorkOrderReader>,
}

impl std::fmt::Debug for GetPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetPhoto").finish_non_exhaustive()
    }
}

impl GetPhoto {
    /// The use case over its port.
    pub fn new(reader: Arc<dyn WorkOrderReader>) -> Self {
        Self { reader }
    }

    /// The photo, for `principal`'s tenant.
    ///
    /// Returns [`Error::InvalidPhotoId`], then
    /// [`Error::WorkOrderNotFound`] (also for another tenant's), then [`Error::PhotoNotFound`].
    pub async fn get(
        &self,
        principal: &Principal,
        work_order_id: WorkOrderId,
        photo_id: &str,
    ) -> Result<PhotoView, Error> {
        let photo_id: PhotoId = photo_id.parse().map_err(|_| Error::InvalidPhotoId)?;
        self.reader.photo(principal.tenant(), work_order_id, photo_id).await
    }
}
