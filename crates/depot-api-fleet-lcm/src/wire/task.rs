//! `Task`, `TaskSummary` and their parts, as in `vcf.fleet_lcm.model`.

use serde::Serialize;

use super::message::LocalizableMessage;

/// `vcf.fleet_lcm.model.task`.
#[derive(Debug, Serialize)]
#[expect(
    clippy::struct_field_names,
    reason = "`taskSummary` is the contract's field name"
)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The summary fields, flattened.
    #[serde(flatten)]
    pub summary: TaskSummary,
    /// `{totalSubTasks, totalSteps}`.
    pub task_summary: TaskTaskSummary,
    /// Ordered steps.
    pub stages: Vec<TaskStage>,
    /// Sub-tasks (objects only; empty here).
    pub sub_tasks: Vec<Task>,
    /// Task log.
    pub messages: Vec<TaskMessage>,
    /// Result object, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Free-form object.
    pub additional_details: serde_json::Map<String, serde_json::Value>,
}

/// `vcf.fleet_lcm.model.task_summary`: the first 17 Task fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    pub id: String,
    pub name: String,
    pub description: LocalizableMessage,
    pub status: &'static str,
    #[serde(rename = "type")]
    pub task_type: String,
    pub created_by: String,
    pub updated_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub create_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub update_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_task_id: Option<String>,
    pub retriable: bool,
    pub cancellable: bool,
}

/// `vcf.fleet_lcm.model.task_task_summary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTaskSummary {
    pub total_sub_tasks: u64,
    pub total_steps: u64,
}

/// `vcf.fleet_lcm.model.task_stage`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStage {
    pub id: String,
    pub name: String,
    pub description: LocalizableMessage,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub messages: Vec<TaskStageMessage>,
}

/// `vcf.fleet_lcm.model.task_stage_message`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStageMessage {
    pub stage_id: String,
    pub timestamp: String,
    pub level: &'static str,
    pub message: LocalizableMessage,
}

/// `vcf.fleet_lcm.model.task_message`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskMessage {
    pub timestamp: String,
    pub level: &'static str,
    pub message: LocalizableMessage,
}

/// `PageOfTaskSummary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageOfTaskSummary {
    pub elements: Vec<TaskSummary>,
    pub page_metadata: PageMetadata,
}

/// `vcf.fleet_lcm.model.page_metadata`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadata {
    pub page_number: u32,
    pub page_size: u32,
    pub total_elements: u64,
    pub total_pages: u64,
}
