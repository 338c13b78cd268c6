//! The stored form of a [`Task`] and the task statements shared by both backends.

use depot_model::{Message, Task, TaskId, TaskStatus, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    SqlValue, Statement, Unique, from_millis, from_millis_opt, query_error, to_millis,
    unique_violation,
};
use crate::{MetadataError, Result};

/// The task columns every read selects, in [`TaskRecord`] field order.
macro_rules! task_columns {
    () => {
        "id, name, description, description_id, description_default, task_type, status, \
         created_by, updated_by, resource_id, resource_type, create_time, start_time, \
         update_time, end_time, correlation_id, parent_task_id, retriable, cancellable, \
         is_system, service, operation, stages, messages, progress, result, error, payload, \
         concurrency_key, attempts, version"
    };
}
pub(crate) use task_columns;

/// A task row: the domain fields as stored (times in ms, JSON as text).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct TaskRecord {
    id: String,
    name: String,
    description: String,
    description_id: String,
    description_default: String,
    task_type: String,
    status: String,
    created_by: String,
    updated_by: String,
    resource_id: Option<String>,
    resource_type: Option<String>,
    create_time: i64,
    start_time: Option<i64>,
    update_time: i64,
    end_time: Option<i64>,
    correlation_id: Option<String>,
    parent_task_id: Option<String>,
    retriable: bool,
    cancellable: bool,
    is_system: bool,
    service: Option<String>,
    operation: Option<String>,
    stages: String,
    messages: String,
    progress: String,
    result: Option<String>,
    error: Option<String>,
    payload: String,
    concurrency_key: Option<String>,
    attempts: i64,
    version: i64,
}

impl TaskRecord {
    /// The stored form of `task`; `op` names the store method for errors.
    pub(crate) fn from_task(task: &Task, op: &'static str) -> Result<Self> {
        Ok(Self {
            id: task.id.to_string(),
            name: task.name.clone(),
            description: to_json(&task.description, op)?,
            description_id: task.description.id.clone(),
            description_default: task.description.default.clone(),
            task_type: task.task_type.clone(),
            status: task.status.as_str().to_owned(),
            created_by: task.created_by.clone(),
            updated_by: task.updated_by.clone(),
            resource_id: task.resource_id.clone(),
            resource_type: task.resource_type.clone(),
            create_time: to_millis(task.create_time),
            start_time: task.start_time.map(to_millis),
            update_time: to_millis(task.update_time),
            end_time: task.end_time.map(to_millis),
            correlation_id: task.correlation_id.clone(),
            parent_task_id: task.parent_task_id.map(|id| id.to_string()),
            retriable: task.retriable,
            cancellable: task.cancellable,
            is_system: task.system,
            service: task.service.clone(),
            operation: task.operation.clone(),
            stages: to_json(&task.stages, op)?,
            messages: to_json(&task.messages, op)?,
            progress: to_json(&task.progress, op)?,
            result: task.result.as_ref().map(|r| to_json(r, op)).transpose()?,
            error: task.error.as_ref().map(|e| to_json(e, op)).transpose()?,
            payload: to_json(&task.payload, op)?,
            concurrency_key: task.concurrency_key.clone(),
            attempts: i64::from(task.attempts),
            version: task.version,
        })
    }

    /// The domain task; `Corrupt` when a column does not decode.
    pub(crate) fn into_task(self) -> Result<Task> {
        // Everything fallible first (it borrows `self` for the error), then move.
        let id = self.task_id("id", &self.id)?;
        let parent_task_id = (self.parent_task_id.as_deref())
            .map(|p| self.task_id("parent_task_id", p))
            .transpose()?;
        let status = TaskStatus::parse(&self.status)
            .ok_or_else(|| self.corrupt("status", &format!("unknown status {:?}", self.status)))?;
        let attempts = u32::try_from(self.attempts)
            .map_err(|_| self.corrupt("attempts", &format!("{} is out of range", self.attempts)))?;
        let description: Message = self.json("description", &self.description)?;
        let stages = self.json("stages", &self.stages)?;
        let messages = self.json("messages", &self.messages)?;
        let progress = self.json("progress", &self.progress)?;
        let result = self.json_opt("result", self.result.as_deref())?;
        let error = self.json_opt("error", self.error.as_deref())?;
        let payload = self.json("payload", &self.payload)?;
        Ok(Task {
            id,
            name: self.name,
            description,
            task_type: self.task_type,
            status,
            created_by: self.created_by,
            updated_by: self.updated_by,
            resource_id: self.resource_id,
            resource_type: self.resource_type,
            create_time: from_millis(self.create_time, "task", "create_time")?,
            start_time: from_millis_opt(self.start_time, "task", "start_time")?,
            update_time: from_millis(self.update_time, "task", "update_time")?,
            end_time: from_millis_opt(self.end_time, "task", "end_time")?,
            correlation_id: self.correlation_id,
            parent_task_id,
            retriable: self.retriable,
            cancellable: self.cancellable,
            system: self.is_system,
            service: self.service,
            operation: self.operation,
            stages,
            messages,
            progress,
            result,
            error,
            payload,
            concurrency_key: self.concurrency_key,
            attempts,
            version: self.version,
        })
    }

    /// Appends `INSERT INTO tasks (…) VALUES (…)` for this task. The store-only columns
    /// (owner, lease, cancel flag) take their defaults.
    pub(crate) fn push_insert(self, qb: &mut Statement) {
        let columns = self.into_columns();
        qb.push("INSERT INTO tasks (");
        qb.push(
            columns
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", "),
        );
        qb.push(") VALUES (");
        for (i, (_, value)) in columns.into_iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push_bind(value);
        }
        qb.push(")");
    }

    /// Appends the guarded update of every domain column, returning the new version:
    /// `UPDATE tasks SET … , version = version + 1 WHERE id = ? AND version = ?`.
    pub(crate) fn push_update(self, qb: &mut Statement) {
        let (id, version) = (self.id.clone(), self.version);
        qb.push("UPDATE tasks SET ");
        for (column, value) in self.into_columns() {
            if column == "id" || column == "version" {
                continue;
            }
            qb.push(column).push(" = ");
            qb.push_bind(value);
            qb.push(", ");
        }
        qb.push("version = version + 1 WHERE id = ");
        qb.push_bind(id);
        qb.push(" AND version = ");
        qb.push_bind(version);
        qb.push(" RETURNING version");
    }

    /// Every column with its value, in [`task_columns!`] order.
    fn into_columns(self) -> [(&'static str, SqlValue); 31] {
        [
            ("id", self.id.into()),
            ("name", self.name.into()),
            ("description", self.description.into()),
            ("description_id", self.description_id.into()),
            ("description_default", self.description_default.into()),
            ("task_type", self.task_type.into()),
            ("status", self.status.into()),
            ("created_by", self.created_by.into()),
            ("updated_by", self.updated_by.into()),
            ("resource_id", self.resource_id.into()),
            ("resource_type", self.resource_type.into()),
            ("create_time", self.create_time.into()),
            ("start_time", self.start_time.into()),
            ("update_time", self.update_time.into()),
            ("end_time", self.end_time.into()),
            ("correlation_id", self.correlation_id.into()),
            ("parent_task_id", self.parent_task_id.into()),
            ("retriable", self.retriable.into()),
            ("cancellable", self.cancellable.into()),
            ("is_system", self.is_system.into()),
            ("service", self.service.into()),
            ("operation", self.operation.into()),
            ("stages", self.stages.into()),
            ("messages", self.messages.into()),
            ("progress", self.progress.into()),
            ("result", self.result.into()),
            ("error", self.error.into()),
            ("payload", self.payload.into()),
            ("concurrency_key", self.concurrency_key.into()),
            ("attempts", self.attempts.into()),
            ("version", self.version.into()),
        ]
    }

    fn task_id(&self, column: &str, text: &str) -> Result<TaskId> {
        text.parse()
            .map_err(|_| self.corrupt(column, &format!("{text:?} is not a UUID")))
    }

    fn json<T: DeserializeOwned>(&self, column: &str, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| self.corrupt(column, &e.to_string()))
    }

    fn json_opt<T: DeserializeOwned>(&self, column: &str, text: Option<&str>) -> Result<Option<T>> {
        text.map(|t| self.json(column, t)).transpose()
    }

    fn corrupt(&self, column: &str, detail: &str) -> MetadataError {
        MetadataError::Corrupt {
            what: "task",
            detail: format!("{}: {column}: {detail}", self.id),
        }
    }
}

/// Insert attempts before giving up on a concurrency key that keeps changing hands.
pub(crate) const INSERT_ATTEMPTS: usize = 8;

/// What a failed task insert means.
pub(crate) enum InsertFailure {
    /// Another active task held the concurrency key: look it up (and retry the insert
    /// if it ended meanwhile).
    KeyTaken,
    /// Anything else: give up with this error.
    Fail(MetadataError),
}

impl InsertFailure {
    /// Classifies the error of inserting `task`.
    pub(crate) fn of(err: sqlx::Error, task: &Task) -> Self {
        match unique_violation(&err) {
            Some(Unique::ConcurrencyKey) => InsertFailure::KeyTaken,
            Some(Unique::Other) => InsertFailure::Fail(MetadataError::AlreadyExists {
                what: format!("task {}", task.id),
            }),
            None => InsertFailure::Fail(query_error("insert_task")(err)),
        }
    }

    /// The error after [`INSERT_ATTEMPTS`] attempts lost the key to other tasks.
    pub(crate) fn key_kept_changing(task: &Task) -> MetadataError {
        MetadataError::Conflict {
            what: format!(
                "concurrency key {:?} changed hands {INSERT_ATTEMPTS} times while inserting task {}",
                task.concurrency_key, task.id
            ),
        }
    }
}

/// Maps the error of `update_task`: a unique violation means the change would give a
/// second active task the same concurrency key.
pub(crate) fn update_error(err: sqlx::Error, task: &Task) -> MetadataError {
    if unique_violation(&err).is_some() {
        MetadataError::Conflict {
            what: format!(
                "another pending or running task holds concurrency key {:?}",
                task.concurrency_key
            ),
        }
    } else {
        query_error("update_task")(err)
    }
}

/// Decodes the rows of `SELECT status, COUNT(*) … GROUP BY status`, in life order.
pub(crate) fn status_counts(rows: Vec<(String, i64)>) -> Result<Vec<(TaskStatus, u64)>> {
    let mut counts = Vec::with_capacity(rows.len());
    for (status, count) in rows {
        let parsed = TaskStatus::parse(&status).ok_or_else(|| MetadataError::Corrupt {
            what: "task",
            detail: format!("unknown status {status:?}"),
        })?;
        counts.push((parsed, u64::try_from(count).unwrap_or(0)));
    }
    counts.sort_by_key(|(s, _)| TaskStatus::ALL.iter().position(|a| a == s));
    Ok(counts)
}

/// Appends the claim of the oldest `PENDING` task named in `names` (which must not be
/// empty), returning the claimed row. `lock` ends the selecting subquery: PostgreSQL
/// passes `FOR UPDATE SKIP LOCKED`; SQLite, whose writers are serialized, passes "".
pub(crate) fn push_claim(
    qb: &mut Statement,
    names: &[String],
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    lock: &str,
) {
    qb.push("UPDATE tasks SET status = 'RUNNING', owner = ");
    qb.push_bind(owner);
    qb.push(", lease_until = ");
    qb.push_bind(to_millis(lease_until));
    qb.push(", attempts = attempts + 1, start_time = COALESCE(start_time, ");
    qb.push_bind(to_millis(now));
    qb.push("), update_time = ");
    qb.push_bind(to_millis(now));
    qb.push(", cancel_requested = FALSE, version = version + 1");
    qb.push(" WHERE status = 'PENDING' AND id = (SELECT id FROM tasks WHERE status = 'PENDING'");
    qb.push_and_in("name", names.iter().map(String::as_str));
    qb.push(" ORDER BY create_time, id LIMIT 1 ")
        .push(lock)
        .push(")");
    qb.push(concat!(" RETURNING ", task_columns!()));
}

/// The JSON text of a JSON-shaped field; `op` names the store method for errors.
fn to_json<T: Serialize>(value: &T, op: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| MetadataError::Query {
        op,
        source: Box::new(e),
    })
}
