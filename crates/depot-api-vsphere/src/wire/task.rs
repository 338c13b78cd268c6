//! `com.vmware.cis.task.info` and its parts.

use super::message::LocalizableMessage;
use crate::vapi::typed::{DateTime, StdError, TaskResult};

crate::vapi_enum! {
    #[vapi("com.vmware.cis.task.status")]
    /// A task's status.
    pub enum Status {
        /// Queued.
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// Waiting on something else.
        Blocked = "BLOCKED",
        /// Done.
        Succeeded = "SUCCEEDED",
        /// Failed (or cancelled).
        Failed = "FAILED",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.vapi.std.dynamic_ID")]
    /// A resource: its type and id.
    #[derive(PartialEq, Eq)]
    pub struct DynamicId {
        /// The resource type.
        pub r#type: String,
        /// The resource id.
        pub id: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.cis.task.progress")]
    /// How far a task has come.
    pub struct Progress {
        /// Total work.
        pub total: u64,
        /// Work done.
        pub completed: u64,
        /// What it is doing.
        pub message: LocalizableMessage,
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.depotd.task.stage_status")]
    /// Where a stage is.
    pub enum StageStatus {
        /// Not started.
        Pending = "PENDING",
        /// Running now.
        Running = "RUNNING",
        /// Done.
        Succeeded = "SUCCEEDED",
        /// Failed; a retry resumes here.
        Failed = "FAILED",
        /// Not run because the task was cancelled.
        Canceled = "CANCELED",
        /// Not needed this time.
        Skipped = "SKIPPED",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.depotd.task.stage")]
    /// One ordered step of a depotd task: the operation-specific data `return_all`
    /// asks for.
    pub struct Stage {
        /// Stable id, e.g. `download-pvc`.
        pub id: String,
        /// What the stage does.
        pub description: LocalizableMessage,
        /// Where it is.
        pub status: StageStatus,
        /// When it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_time: Option<DateTime>,
        /// When it ended.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end_time: Option<DateTime>,
        /// Its log.
        pub messages: Vec<LocalizableMessage>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.cis.task.info")]
    /// A task as CIS shows it.
    pub struct Info {
        /// Progress, once started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub progress: Option<Progress>,
        /// The operation's result, when it succeeded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub result: Option<TaskResult>,
        /// What the task does.
        pub description: LocalizableMessage,
        /// The service of the operation.
        pub service: String,
        /// The operation.
        pub operation: String,
        /// The parent task.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parent: Option<String>,
        /// The resource the task works on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target: Option<DynamicId>,
        /// Its status.
        pub status: Status,
        /// Whether a cancel may still be asked.
        pub cancelable: bool,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<StdError>,
        /// When it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start_time: Option<DateTime>,
        /// When it ended.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end_time: Option<DateTime>,
        /// Who started it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user: Option<String>,
        /// depotd's operation-specific data, with `return_all`: the task's stages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub stages: Option<Vec<Stage>>,
    }
}
