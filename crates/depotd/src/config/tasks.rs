//! `[tasks]`: the task workers on this node.

use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::values;

/// `[tasks]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TasksConfig {
    /// Tasks run at once.
    pub workers: usize,
    /// How long finished tasks are kept.
    #[serde(rename = "retention_hours", with = "values::hours")]
    pub retention: Duration,
    /// Task claim lease.
    #[serde(rename = "lease_seconds", with = "values::seconds")]
    pub lease: Duration,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            retention: Duration::from_hours(168),
            lease: Duration::from_secs(30),
        }
    }
}

/// The flags of `[tasks]`.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct TasksFlags {
    /// Tasks run at once [default: 4].
    #[arg(
        long = "task-workers",
        value_name = "TASK_WORKERS",
        env = "DEPOTD_TASK_WORKERS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// Hours finished tasks are kept [default: 168].
    #[arg(
        long = "task-retention-hours",
        value_name = "TASK_RETENTION_HOURS",
        env = "DEPOTD_TASK_RETENTION_HOURS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_hours: Option<u64>,
    /// Seconds a task claim lasts without renewal [default: 30].
    #[arg(
        long = "task-lease-seconds",
        value_name = "TASK_LEASE_SECONDS",
        env = "DEPOTD_TASK_LEASE_SECONDS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u64>,
}
