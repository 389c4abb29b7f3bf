//! The rule every port shares: a store out of reach is [`Error::Unavailable`] (a 503 the
//! client may retry), never [`Error::Internal`].

use super::Harness;
use super::support::{caller, new_work_order_id, photo};
use crate::error::Error;
use crate::photo::PhotoId;

/// Every call to an unreachable store is unavailable.
pub fn an_unreachable_store_is_unavailable_not_internal(h: &impl Harness) {
    let down = h.unreachable();
    let acme = caller(h, "acme");
    let wo = new_work_order_id();
    let unavailable = |what: &str, answer: Result<(), Error>| {
        assert!(
            matches!(answer, Err(Error::Unavailable(_))),
            "{what} on an unreachable store must be Unavailable: {answer:?}"
        );
    };
    unavailable("attach_photo", h.block_on(down.repo.attach_photo(photo(&acme, wo, "a.jpg"))).map(drop));
    unavailable("ping", h.block_on(down.repo.ping()));
    unavailable("work_order", h.block_on(down.reader.work_order(acme.tenant(), wo)).map(drop));
    unavailable("photos", h.block_on(down.reader.photos(acme.tenant(), wo, None, 10)).map(drop));
    unavailable(
        "photo",
        h.block_on(down.reader.photo(acme.tenant(), wo, PhotoId::new(ulid::Ulid::generate()))).map(drop),
    );
    unavailable("verify", h.block_on(down.verifier.verify(&down.key)).map(drop));
    h.block_on(h.repo().ping()).expect("the reachable store answers a ping");
}
