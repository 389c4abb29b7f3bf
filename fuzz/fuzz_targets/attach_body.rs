//! The attach route's body decoding, on arbitrary bytes: it never panics, and every refusal
//! is one of the contract's 400s.
#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use workorder_domain::in_memory::InMemoryWorkOrderRepo;
use workorder_domain::{AttachPhoto, AttachPolicy, SystemClock, UlidPhotoIds, WorkOrderId};
use workorder_http::{ApiError, decode_command};

static WORK_ORDER: LazyLock<WorkOrderId> =
    LazyLock::new(|| WorkOrderId::parse("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0").expect("a work-order id"));

static SERVICE: LazyLock<AttachPhoto> = LazyLock::new(|| {
    let repo = Arc::new(InMemoryWorkOrderRepo::default());
    AttachPhoto::new(repo, Arc::new(SystemClock), Arc::new(UlidPhotoIds), AttachPolicy::default())
});

fuzz_target!(|data: &[u8]| {
    match decode_command(&SERVICE, *WORK_ORDER, data) {
        Ok(command) => assert!(!command.object_key().as_str().is_empty()),
        Err(ApiError::Domain(error)) => {
            assert_eq!(error.code(), "INVALID_BODY");
            assert!(!error.field_errors().is_empty());
        }
        Err(other) => panic!("not a body error: {other:?}"),
    }
});
