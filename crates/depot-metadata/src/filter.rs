//! Task filters and paging.

use depot_model::{TaskId, TaskStatus, Timestamp};

/// Which tasks to list. Empty lists and `None` match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    /// Only these ids.
    pub ids: Vec<TaskId>,
    /// Only tasks in one of these statuses.
    pub statuses: Vec<TaskStatus>,
    /// Only tasks of one of these job names.
    pub names: Vec<String>,
    /// Only tasks of this type.
    pub task_type: Option<String>,
    /// Only tasks created by one of these users.
    pub created_by: Vec<String>,
    /// Only tasks whose description's default text or id equals this.
    pub description: Option<String>,
    /// Only tasks on this resource id.
    pub resource_id: Option<String>,
    /// Only tasks on this resource type.
    pub resource_type: Option<String>,
    /// Only tasks on one of these resources (type and id both match).
    pub targets: Vec<TaskTarget>,
    /// Only tasks of one of these vSphere service ids.
    pub services: Vec<String>,
    /// Only tasks of one of these vSphere operation ids.
    pub operations: Vec<String>,
    /// Started strictly after.
    pub start_time_gt: Option<Timestamp>,
    /// Started strictly before.
    pub start_time_lt: Option<Timestamp>,
    /// Updated strictly after.
    pub update_time_gt: Option<Timestamp>,
    /// Updated strictly before.
    pub update_time_lt: Option<Timestamp>,
    /// Ended strictly after.
    pub end_time_gt: Option<Timestamp>,
    /// Ended strictly before.
    pub end_time_lt: Option<Timestamp>,
    /// Also list internal (system) tasks.
    pub include_system: bool,
}

/// A resource a task works on: its type and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTarget {
    /// The resource type, e.g. `com.vmware.content.Library`.
    pub resource_type: String,
    /// The resource id.
    pub resource_id: String,
}

/// A 1-based page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub number: u32,
    /// Items per page (at least 1).
    pub size: u32,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(self) -> u64 {
        u64::from(self.number.max(1) - 1) * u64::from(self.size.max(1))
    }
}

/// One page of results and the total count across all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Matching items across all pages.
    pub total: u64,
}
