//! `work-order create | set-status`: the operators' use case on work orders (the new id alone
//! on stdout, details on stderr).

use std::sync::Arc;

use workorder_domain::{SystemClock, WorkOrderAdmin};
use workorder_infra::{Database, DieselWorkOrderRepo};

use crate::Failure;
use crate::cli::WorkOrderCommand;

pub(crate) async fn run(db: &Database, command: WorkOrderCommand) -> Result<(), Failure> {
    let work_orders =
        WorkOrderAdmin::new(Arc::new(DieselWorkOrderRepo::new(db.clone())), Arc::new(SystemClock));
    match command {
        WorkOrderCommand::Create { tenant, id, status, title } => {
            let id = work_orders.create(&tenant, id, status, title.as_deref()).await?;
            eprintln!("created work order {id} ({status}) for tenant {tenant}");
            println!("{id}");
        }
        WorkOrderCommand::SetStatus { id, status, tenant } => {
            work_orders.set_status(id, status, tenant.as_ref()).await?;
            eprintln!("work order {id} is now {status}");
        }
    }
    Ok(())
}
