//! The rules of [`ApiKeyVerifier`](crate::ApiKeyVerifier).

use std::time::{Duration, Instant};

use super::Harness;
use super::support::tenant;
use crate::error::Error;
use crate::identity::ApiKeySecret;

/// A key verifies to the principal it was made for; a changed, truncated or unknown one is
/// refused as unauthenticated.
pub fn a_key_verifies_to_its_principal_and_others_do_not(h: &impl Harness) {
    let (key, principal) = h.issue_key(&tenant("acme"));
    let verified = h.block_on(h.verifier().verify(&key)).expect("a key verifies");
    assert_eq!(verified, principal, "a key must verify to its own principal");
    let exposed = key.expose();
    let last = exposed.chars().last().expect("a key is not empty");
    let changed =
        format!("{}{}", &exposed[..exposed.len() - last.len_utf8()], if last == '0' { '1' } else { '0' });
    let truncated = exposed[..exposed.len() - last.len_utf8()].to_owned();
    for bad in [changed, truncated, format!("{exposed}0"), "nope".to_owned()] {
        let answer = h.block_on(h.verifier().verify(&ApiKeySecret::new(bad.clone()).expect("not empty")));
        assert!(
            matches!(answer, Err(Error::Unauthenticated)),
            "a wrong key must be Unauthenticated: {answer:?}"
        );
    }
}

/// A revoked key is refused within 30 seconds.
pub fn a_revoked_key_is_refused_within_30_seconds(h: &impl Harness) {
    let (key, principal) = h.issue_key(&tenant("acme"));
    h.block_on(h.verifier().verify(&key)).expect("a key verifies");
    h.revoke_key(principal.key_id());
    let revoked = Instant::now();
    loop {
        match h.block_on(h.verifier().verify(&key)) {
            Err(Error::Unauthenticated) => return,
            Ok(_) if revoked.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            other => panic!("a revoked key must be refused within 30 s: {other:?}"),
        }
    }
}
