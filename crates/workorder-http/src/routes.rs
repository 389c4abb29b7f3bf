//! The routes, one module each. Handlers take extractors (`extract.rs`) and call a use case;
//! the edge middleware (`middleware.rs`) writes every error body and catches panics.

pub(crate) mod attach_photo;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod photo_uploads;
pub(crate) mod photos;
pub(crate) mod work_orders;
