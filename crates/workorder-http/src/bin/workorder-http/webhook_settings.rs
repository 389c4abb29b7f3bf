//! The webhooks' configuration: the secrets key, the retry policy and the target policy, read
//! once and checked before anything starts.

use std::time::Duration;

use workorder_domain::{RetryPolicy, TargetPolicy};
use workorder_infra::{InvalidSecretsKey, SecretsKey};

use crate::cli::WebhookArgs;

/// The webhooks' settings, checked.
#[derive(Debug, Clone)]
pub(crate) struct WebhookSettings {
    pub(crate) secrets_key: Option<SecretsKey>,
    pub(crate) retry: RetryPolicy,
    pub(crate) targets: TargetPolicy,
    /// The longest a receiver may take to answer whole.
    pub(crate) timeout: Duration,
}

/// A webhook setting that breaks its rule; the process exits 2 with this one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebhookSettingsError {
    /// Not base64 of 32 bytes.
    #[error(transparent)]
    SecretsKey(#[from] InvalidSecretsKey),
    /// A zero wait, age or timeout.
    #[error(
        "WORKORDER_WEBHOOK_RETRY_BASE_MS, WORKORDER_WEBHOOK_MAX_AGE_SECS and WORKORDER_WEBHOOK_TIMEOUT_MS must be at least 1"
    )]
    Zero,
}

impl WebhookSettings {
    pub(crate) fn from_cli(args: WebhookArgs) -> Result<Self, WebhookSettingsError> {
        if args.webhook_retry_base_ms == 0 || args.webhook_max_age_secs == 0 || args.webhook_timeout_ms == 0 {
            return Err(WebhookSettingsError::Zero);
        }
        let secrets_key =
            args.secrets_key.filter(|k| !k.is_empty()).map(|k| SecretsKey::parse(&k)).transpose()?;
        Ok(Self {
            secrets_key,
            retry: RetryPolicy {
                base: Duration::from_millis(args.webhook_retry_base_ms),
                max_age: Duration::from_secs(args.webhook_max_age_secs),
            },
            targets: TargetPolicy { allow_private: args.webhook_allow_private },
            timeout: Duration::from_millis(args.webhook_timeout_ms),
        })
    }
}
