//! `webhook create | list | delete | redeliver`: the operators' use case on subscriptions
//! (the new secret alone on stdout, details on stderr).

use std::sync::Arc;

use workorder_domain::{SystemClock, WebhookAdmin, rfc3339};
use workorder_http::SystemResolver;
use workorder_http::webhook_signature::format_secret;
use workorder_infra::{Database, DieselWebhookRegistry};

use crate::Failure;
use crate::cli::WebhookCommand;
use crate::webhook_settings::WebhookSettings;

pub(crate) async fn run(
    db: &Database,
    settings: WebhookSettings,
    command: WebhookCommand,
) -> Result<(), Failure> {
    let registry = Arc::new(DieselWebhookRegistry::new(db.clone(), settings.secrets_key));
    let webhooks =
        WebhookAdmin::new(registry, Arc::new(SystemResolver), Arc::new(SystemClock), settings.targets);
    match command {
        WebhookCommand::Create { tenant, url } => {
            let (id, secret) = webhooks.create(&tenant, &url).await?;
            eprintln!("created webhook {id} for tenant {tenant} to {url}; its secret is shown once, below");
            println!("{}", format_secret(secret.expose()));
        }
        WebhookCommand::List { tenant } => {
            for hook in webhooks.list(tenant.as_ref()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} failed",
                    hook.id,
                    hook.tenant,
                    hook.url,
                    rfc3339(hook.created_at),
                    hook.state(),
                    hook.failed
                );
            }
        }
        WebhookCommand::Delete { id } => {
            webhooks.delete(id).await?;
            eprintln!("deleted webhook {id}; every server stops delivering to it within seconds");
        }
        WebhookCommand::Redeliver { id } => {
            let n = webhooks.redeliver(id).await?;
            eprintln!("{n} failed deliveries of webhook {id} are due again");
        }
    }
    Ok(())
}
