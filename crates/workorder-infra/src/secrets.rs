//! Webhook signing secrets at rest: sealed with XChaCha20-Poly1305 (RustCrypto's AEAD) under
//! the operator's key, bound to their subscription, so the database never holds one in clear
//! and a sealed secret copied to another row does not open.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The key secrets are sealed under: 32 bytes, given as base64 in `WORKORDER_SECRETS_KEY`.
/// Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretsKey([u8; 32]);

/// `WORKORDER_SECRETS_KEY` is not base64 of 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("WORKORDER_SECRETS_KEY must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)")]
pub struct InvalidSecretsKey;

impl SecretsKey {
    /// Parses the base64 of 32 bytes.
    pub fn parse(raw: &str) -> Result<Self, InvalidSecretsKey> {
        let bytes = STANDARD.decode(raw.trim()).map_err(|_| InvalidSecretsKey)?;
        Ok(Self(bytes.try_into().map_err(|_| InvalidSecretsKey)?))
    }
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKey(…)")
    }
}

/// Sealing or opening failed: the random source, or a sealed secret that does not open under
/// this key (another key, another row, or tampered).
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The OS's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
    /// The sealed bytes do not open.
    #[error("a webhook secret does not open under WORKORDER_SECRETS_KEY (another key, or altered)")]
    DoesNotOpen,
}

const NONCE_BYTES: usize = 24;

/// `nonce ‖ ciphertext` of `secret`, bound to `context` (the subscription's tenant and id).
pub(crate) fn seal(key: &SecretsKey, context: &str, secret: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(SealError::Random)?;
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad: context.as_bytes() })
        .map_err(|_| SealError::DoesNotOpen)?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// The secret `seal` sealed with `context`.
pub(crate) fn open(key: &SecretsKey, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_BYTES {
        return Err(SealError::DoesNotOpen);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
        .map_err(|_| SealError::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretsKey {
        SecretsKey::parse(&STANDARD.encode([byte; 32])).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_context() {
        let sealed = seal(&key(1), "acme/01J", b"the secret bytes").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "no clear text in the sealed bytes");
        assert_eq!(open(&key(1), "acme/01J", &sealed).unwrap(), b"the secret bytes");
        assert!(open(&key(2), "acme/01J", &sealed).is_err());
        assert!(open(&key(1), "globex/01J", &sealed).is_err());
        assert!(open(&key(1), "acme/01J", &sealed[..10]).is_err());
    }

    #[test]
    fn the_key_is_base64_of_32_bytes_and_never_printed() {
        assert!(SecretsKey::parse(&STANDARD.encode([0u8; 31])).is_err());
        assert!(SecretsKey::parse("not base64!").is_err());
        assert_eq!(format!("{:?}", key(65)), "SecretsKey(…)");
    }
}
