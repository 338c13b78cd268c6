//! The `esx_online_depot_delete` task (`Online.delete$task`): removes a depot, its
//! content and its payloads' blob references. Idempotent: a depot already gone is done.

use async_trait::async_trait;
use depot_model::Message;
use depot_tasks::{Job, JobContext, JobError, NewTask};

use crate::{OnlineDepotError, OnlineDepots};

/// The job's stable name.
pub const DEPOT_DELETE_JOB_KIND: &str = "esx_online_depot_delete";

/// What a delete task removes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DepotDeleteRequest {
    /// The depot.
    pub depot: String,
}

impl DepotDeleteRequest {
    /// The task, asked for by `user`.
    pub fn task(self, user: &str) -> NewTask {
        let mut t = NewTask::new(
            DEPOT_DELETE_JOB_KIND,
            Message::new(
                "com.vmware.esx.settings.depots.online.delete",
                format!("Delete online depot {}", self.depot),
            ),
            user,
        );
        "esx".clone_into(&mut t.task_type);
        t.concurrency_key = Some(format!("esx-online-depot:{}", self.depot));
        t.service_operation = Some((
            "com.vmware.esx.settings.depots.online".to_owned(),
            "delete".to_owned(),
        ));
        t.payload = serde_json::json!(self);
        t
    }
}

/// The job that runs delete tasks.
pub struct DepotDeleteJob {
    depots: OnlineDepots,
}

impl DepotDeleteJob {
    /// The job over `depots`.
    pub fn new(depots: OnlineDepots) -> Self {
        Self { depots }
    }
}

#[async_trait]
impl Job for DepotDeleteJob {
    fn name(&self) -> &'static str {
        DEPOT_DELETE_JOB_KIND
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: DepotDeleteRequest = ctx.payload()?;
        // The operation checked that the depot existed: gone now means deleted already
        // (a re-run, or another delete).
        match self.depots.delete(&request.depot).await {
            Ok(()) | Err(OnlineDepotError::NotFound { .. }) => Ok(None),
            Err(e) => Err(crate::jobs::job_error(&e)),
        }
    }
}
