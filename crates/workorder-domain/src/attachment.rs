//! The attach rule: from what the store found under a photo's key to what the attach answers.
//!
//! Every adapter of [`WorkOrderRepo`](crate::WorkOrderRepo) locks the work order, fetches what
//! it holds and asks [`decide`] what to do; none of them decides on its own between a new
//! photo, a retry, a conflict and a closed work order, so the rule cannot drift between them.

use crate::error::Error;
use crate::photo::{CdnUrl, NewPhoto, PhotoId, Step, TakenAt};
use crate::work_order::WorkOrderStatus;

/// Whether an attach recorded a new photo or found the same one already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// The photo was recorded now.
    Created,
    /// The same photo (same key, same data) was already attached: a retry. Nothing was written.
    AlreadyAttached,
}

/// What the store answers to an attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment {
    /// The photo's id: the new one, or the first one for a retry.
    pub photo_id: PhotoId,
    /// The work order's status, as read in the same transaction.
    pub status: WorkOrderStatus,
    /// Created, or already attached.
    pub disposition: Disposition,
}

/// A photo already recorded under the new photo's key on the same work order: the part that
/// tells a retry from a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPhoto {
    /// Its id.
    pub photo_id: PhotoId,
    /// Its CDN URL.
    pub cdn_url: CdnUrl,
    /// When it was taken.
    pub taken_at: TakenAt,
    /// Its step.
    pub step: Option<Step>,
}

impl From<&NewPhoto> for RecordedPhoto {
    /// What a store that keeps the photo whole finds under its key.
    fn from(photo: &NewPhoto) -> Self {
        Self {
            photo_id: photo.photo_id,
            cdn_url: photo.cdn_url.clone(),
            taken_at: photo.taken_at,
            step: photo.step.clone(),
        }
    }
}

/// What the store must do with a photo, once it has looked.
#[derive(Debug)]
pub enum AttachDecision {
    /// Insert the photo (unless a racing transaction inserted one under its key meanwhile:
    /// then fetch that one and decide again); once inserted, answer this.
    Record(Attachment),
    /// Insert nothing and answer this.
    Answer(Result<Attachment, Error>),
}

/// The attach rule, in the order the port promises: no work order in the tenant is
/// [`Error::WorkOrderNotFound`]; the same photo again is a retry whatever the status now (it
/// changes nothing, so it is answered as the first call was); a status that refuses photos is
/// [`Error::WorkOrderClosed`]; other data under the key is [`Error::PhotoConflict`]; anything
/// else is recorded.
///
/// `status` is the work order's status as read under the transaction's lock, `None` when there
/// is no such work order in `photo.tenant`; `recorded` is the photo under `photo.object_key` on
/// that work order, if any.
pub fn decide(
    photo: &NewPhoto,
    status: Option<WorkOrderStatus>,
    recorded: Option<&RecordedPhoto>,
) -> AttachDecision {
    let Some(status) = status else {
        return AttachDecision::Answer(Err(Error::WorkOrderNotFound));
    };
    match recorded {
        Some(recorded)
            if photo.same_data_as(&recorded.cdn_url, recorded.taken_at, recorded.step.as_ref()) =>
        {
            AttachDecision::Answer(Ok(Attachment {
                photo_id: recorded.photo_id,
                status,
                disposition: Disposition::AlreadyAttached,
            }))
        }
        _ if !status.accepts_photos() => AttachDecision::Answer(Err(Error::WorkOrderClosed(status))),
        Some(_) => AttachDecision::Answer(Err(Error::PhotoConflict)),
        None => AttachDecision::Record(Attachment {
            photo_id: photo.photo_id,
            status,
            disposition: Disposition::Created,
        }),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::identity::{ApiKeyId, TenantId};
    use crate::photo::ObjectKey;
    use crate::work_order::WorkOrderId;

    fn photo() -> NewPhoto {
        NewPhoto {
            tenant: TenantId::parse("acme").unwrap(),
            work_order_id: WorkOrderId::parse("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0").unwrap(),
            photo_id: PhotoId::new(ulid::Ulid(2)),
            object_key: ObjectKey::parse("acme/front.jpg").unwrap(),
            cdn_url: CdnUrl::parse("https://cdn.example.com/acme/front.jpg").unwrap(),
            taken_at: TakenAt::from_instant(datetime!(2026-04-15 12:00 UTC)).unwrap(),
            step: None,
            attached_by: ApiKeyId::new(ulid::Ulid(1)),
            recorded_at: datetime!(2026-04-15 12:01 UTC),
            object: None,
        }
    }

    fn recorded_as(photo: &NewPhoto) -> RecordedPhoto {
        RecordedPhoto {
            photo_id: PhotoId::new(ulid::Ulid(1)),
            cdn_url: photo.cdn_url.clone(),
            taken_at: photo.taken_at,
            step: photo.step.clone(),
        }
    }

    fn answer(decision: AttachDecision) -> Result<Attachment, Error> {
        match decision {
            AttachDecision::Answer(answer) => answer,
            AttachDecision::Record(attachment) => panic!("expected an answer, got Record({attachment:?})"),
        }
    }

    #[test]
    fn a_missing_work_order_is_not_found_before_anything_else() {
        let photo = photo();
        let recorded = recorded_as(&photo);
        assert!(matches!(answer(decide(&photo, None, Some(&recorded))), Err(Error::WorkOrderNotFound)));
    }

    #[test]
    fn a_new_photo_is_recorded_in_every_status_that_accepts_photos_and_refused_in_the_others() {
        let photo = photo();
        for status in WorkOrderStatus::ALL {
            match decide(&photo, Some(status), None) {
                AttachDecision::Record(a) if status.accepts_photos() => {
                    assert_eq!(
                        (a.photo_id, a.status, a.disposition),
                        (photo.photo_id, status, Disposition::Created)
                    );
                }
                AttachDecision::Answer(Err(Error::WorkOrderClosed(s))) if !status.accepts_photos() => {
                    assert_eq!(s, status);
                }
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_same_photo_again_is_a_retry_whatever_the_status_now() {
        let photo = photo();
        let recorded = recorded_as(&photo);
        for status in WorkOrderStatus::ALL {
            let attachment = answer(decide(&photo, Some(status), Some(&recorded))).unwrap();
            assert_eq!(attachment.photo_id, recorded.photo_id);
            assert_eq!(attachment.disposition, Disposition::AlreadyAttached);
        }
    }

    #[test]
    fn other_data_under_the_key_is_a_conflict_unless_the_work_order_is_closed() {
        let photo = photo();
        let other = RecordedPhoto { step: Some(Step::parse("after").unwrap()), ..recorded_as(&photo) };
        assert!(matches!(
            answer(decide(&photo, Some(WorkOrderStatus::InProgress), Some(&other))),
            Err(Error::PhotoConflict)
        ));
        assert!(matches!(
            answer(decide(&photo, Some(WorkOrderStatus::Closed), Some(&other))),
            Err(Error::WorkOrderClosed(WorkOrderStatus::Closed))
        ));
    }
}
