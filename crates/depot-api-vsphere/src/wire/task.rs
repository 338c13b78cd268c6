//! `com.vmware.cis.task.info` and its parts.

use serde::Serialize;

use super::message::LocalizableMessage;

/// `com.vmware.cis.task.info`.
#[derive(Debug, Serialize)]
pub struct Info {
    pub description: LocalizableMessage,
    pub service: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub status: &'static str,
    pub cancelable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

/// `com.vmware.cis.task.progress`.
#[derive(Debug, Serialize)]
pub struct Progress {
    pub total: u64,
    pub completed: u64,
    pub message: LocalizableMessage,
}
