//! `delete$task`: removes a depot's record, file tree and blob references once no
//! download holds it (or at once with `force`); the blob collector then removes the
//! files no other owner references.

use async_trait::async_trait;
use depot_model::{Message, OfflineDepotId, UserName};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use serde::{Deserialize, Serialize};

use crate::import_job::job_error;
use crate::{EsxDepotError, EsxDepots, SERVICE};

/// The delete job's stable name.
pub const DELETE_JOB: &str = "esx_offline_depot_delete";

/// The delete task's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    /// The depot.
    pub depot: OfflineDepotId,
    /// Remove it even while it is served.
    pub force: bool,
}

impl EsxDepots {
    /// Checks a `delete$task` of depot `id` by `user` (it exists; unless `force`, it is
    /// not in use) and answers the task to submit.
    pub async fn prepare_delete(
        &self,
        user: &UserName,
        id: &str,
        force: bool,
    ) -> Result<NewTask, EsxDepotError> {
        let depot = self.get(id).await?.id;
        self.check_unused(depot, force)?;
        let mut task = NewTask::new(
            DELETE_JOB,
            Message::new(
                format!("{SERVICE}.delete"),
                format!("Delete offline depot {depot}"),
            ),
            user.as_str(),
        );
        "esx-depot".clone_into(&mut task.task_type);
        task.service_operation = Some((SERVICE.to_owned(), "delete".to_owned()));
        task.resource = Some((
            "com.vmware.esx.settings.depots.offline".to_owned(),
            depot.to_string(),
        ));
        task.concurrency_key = Some(format!("esx-offline-depot:{depot}"));
        task.payload = serde_json::to_value(DeleteRequest { depot, force })
            .map_err(|e| EsxDepotError::Internal(e.to_string()))?;
        Ok(task)
    }

    fn check_unused(&self, depot: OfflineDepotId, force: bool) -> Result<(), EsxDepotError> {
        if !force && self.inner.in_use.is_used(depot) {
            return Err(EsxDepotError::InUse { depot });
        }
        Ok(())
    }

    /// Removes depot `depot` with its content references, unless it is in use and
    /// `force` is not set.
    pub async fn delete_content(
        &self,
        depot: OfflineDepotId,
        force: bool,
    ) -> Result<(), EsxDepotError> {
        self.check_unused(depot, force)?;
        self.delete_record(&depot.to_string()).await
    }
}

/// The job that runs `delete$task`.
pub struct DeleteJob {
    depots: EsxDepots,
}

impl DeleteJob {
    /// The job over `depots`.
    pub fn new(depots: EsxDepots) -> Self {
        Self { depots }
    }
}

#[async_trait]
impl Job for DeleteJob {
    fn name(&self) -> &'static str {
        DELETE_JOB
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: DeleteRequest = ctx.payload()?;
        self.depots
            .delete_content(request.depot, request.force)
            .await
            .map_err(|e| job_error(&e))?;
        // DeleteResult: no notifications to give.
        Ok(Some(serde_json::json!({"notifications": {}})))
    }
}
