//! `api-key create | list | revoke`: the operators' use case on keys, printed for a terminal
//! or a script (the new key alone on stdout, details on stderr).

use std::sync::Arc;

use workorder_domain::{ApiKeyAdmin, SystemClock, rfc3339};
use workorder_infra::{Database, DieselApiKeyRegistry};

use crate::Failure;
use crate::cli::ApiKeyCommand;

pub(crate) async fn run(db: &Database, command: ApiKeyCommand) -> Result<(), Failure> {
    let keys = ApiKeyAdmin::new(Arc::new(DieselApiKeyRegistry::new(db.clone())), Arc::new(SystemClock));
    match command {
        ApiKeyCommand::Create { tenant, label } => {
            let key = keys.issue(&tenant, &label).await?;
            eprintln!("created API key {} for tenant {}; it is shown once, below", key.id, key.tenant);
            println!("{}", key.secret.expose());
        }
        ApiKeyCommand::List { tenant } => {
            for key in keys.list(tenant.as_ref()).await? {
                let revoked = key.revoked_at.map_or_else(|| "-".to_owned(), rfc3339);
                println!("{}\t{}\t{}\t{}\t{revoked}", key.id, key.tenant, key.label, rfc3339(key.created_at));
            }
        }
        ApiKeyCommand::Revoke { key_id } => {
            keys.revoke(key_id).await?;
            eprintln!("revoked API key {key_id}; every server refuses it within the key cache TTL");
        }
    }
    Ok(())
}
