//! How the end of a run changes a task: pure functions over the domain model.

use depot_model::{ErrorKind, Level, Message, StageStatus, Task, TaskError, TaskStatus, Timestamp};

use crate::JobError;

/// Applies a successful run.
pub(crate) fn succeeded(task: &mut Task, result: Option<serde_json::Value>, now: Timestamp) {
    task.status = TaskStatus::Succeeded;
    task.result = result;
    task.error = None;
    task.progress.completed = task.progress.total;
    finish(task, now);
    task.log(
        Level::Info,
        Message::new("com.vmware.depotd.task.succeeded", "Task succeeded"),
        now,
    );
}

/// Applies a failed, cancelled or interrupted run. `idempotent` decides what an
/// interruption means. Returns false when the task must not be written (lost).
pub(crate) fn ended(task: &mut Task, err: JobError, idempotent: bool, now: Timestamp) -> bool {
    match err {
        JobError::Lost => return false,
        JobError::Failed { error, retriable } => fail(task, *error, retriable, now),
        JobError::Canceled => {
            task.status = TaskStatus::Canceled;
            mark_open_stages(task, StageStatus::Canceled, now);
            finish(task, now);
            task.log(
                Level::Info,
                Message::new("com.vmware.depotd.task.canceled", "Task cancelled"),
                now,
            );
        }
        JobError::Interrupted => interrupted(task, idempotent, now),
    }
    true
}

/// A task whose run stopped without ending (shutdown, crash): resumed later when the
/// job is idempotent, otherwise failed and retriable.
pub(crate) fn interrupted(task: &mut Task, idempotent: bool, now: Timestamp) {
    if idempotent {
        task.status = TaskStatus::Pending;
        mark_stages(task, StageStatus::Running, StageStatus::Pending, now);
        task.update_time = now;
        task.log(
            Level::Warn,
            Message::new(
                "com.vmware.depotd.task.interrupted.resume",
                "Task interrupted by a restart; it resumes from its last unfinished stage",
            ),
            now,
        );
    } else {
        let error = TaskError {
            kind: ErrorKind::Unavailable,
            code: "TASK_INTERRUPTED".to_owned(),
            message: Message::new(
                "com.vmware.depotd.task.interrupted",
                "Task interrupted by a restart of the server",
            ),
            resolution: Some(Message::new(
                "com.vmware.depotd.task.interrupted.resolution",
                "Retry the task",
            )),
            data: None,
        };
        fail(task, error, true, now);
    }
}

/// Undoes a claim whose job never started (shutdown began meanwhile): the task is
/// pending again, and the claim does not count as an attempt.
pub(crate) fn released(task: &mut Task, now: Timestamp) {
    if task.attempts <= 1 {
        // This claim set the start time: the task has never run.
        task.start_time = None;
    }
    task.attempts = task.attempts.saturating_sub(1);
    task.status = TaskStatus::Pending;
    task.update_time = now;
}

fn fail(task: &mut Task, error: TaskError, retriable: bool, now: Timestamp) {
    task.status = TaskStatus::Failed;
    task.retriable = retriable;
    mark_stages(task, StageStatus::Running, StageStatus::Failed, now);
    finish(task, now);
    task.log(Level::Error, error.message.clone(), now);
    task.error = Some(error);
}

/// Prepares a failed task for another run: failed stages become pending again.
pub(crate) fn retry(task: &mut Task, by: &str, cancellable: bool, now: Timestamp) {
    task.status = TaskStatus::Pending;
    task.error = None;
    task.retriable = false;
    task.end_time = None;
    task.cancellable = cancellable;
    by.clone_into(&mut task.updated_by);
    mark_stages(task, StageStatus::Failed, StageStatus::Pending, now);
    mark_stages(task, StageStatus::Canceled, StageStatus::Pending, now);
    task.log(
        Level::Info,
        Message::new(
            "com.vmware.depotd.task.retried",
            format!("Task retried by {by}"),
        )
        .arg("user", by),
        now,
    );
}

/// Cancels a task that never started.
pub(crate) fn cancel_pending(task: &mut Task, by: &str, now: Timestamp) {
    task.status = TaskStatus::Canceled;
    by.clone_into(&mut task.updated_by);
    mark_open_stages(task, StageStatus::Canceled, now);
    finish(task, now);
    task.log(
        Level::Info,
        Message::new(
            "com.vmware.depotd.task.canceled",
            format!("Task cancelled by {by}"),
        )
        .arg("user", by),
        now,
    );
}

fn finish(task: &mut Task, now: Timestamp) {
    task.end_time = Some(now);
    task.update_time = now;
    task.cancellable = false;
    if task.status != TaskStatus::Failed {
        task.retriable = false;
    }
}

fn mark_open_stages(task: &mut Task, to: StageStatus, now: Timestamp) {
    mark_stages(task, StageStatus::Running, to, now);
    mark_stages(task, StageStatus::Pending, to, now);
}

fn mark_stages(task: &mut Task, from: StageStatus, to: StageStatus, now: Timestamp) {
    for s in task.stages.iter_mut().filter(|s| s.status == from) {
        s.status = to;
        s.update_time = Some(now);
        if matches!(to, StageStatus::Pending) {
            s.end_time = None;
        } else if s.start_time.is_some() {
            s.end_time = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depot_model::Stage;

    fn task() -> Task {
        let mut t = Task::new("j", Message::new("d", "d"), "u", depot_model::now());
        t.stages = vec![
            Stage::new("a", Message::new("a", "a")),
            Stage::new("b", Message::new("b", "b")),
        ];
        t.stages[0].status = StageStatus::Succeeded;
        t.stages[1].status = StageStatus::Running;
        t.status = TaskStatus::Running;
        t
    }

    #[test]
    fn failure_then_retry_resumes_at_failed_stage() {
        let mut t = task();
        let now = depot_model::now();
        let err = JobError::retriable(ErrorKind::Unavailable, "X", Message::new("x", "x"));
        assert!(ended(&mut t, err, true, now));
        assert_eq!(t.status, TaskStatus::Failed);
        assert!(t.retriable && !t.cancellable);
        assert_eq!(t.stages[1].status, StageStatus::Failed);
        retry(&mut t, "admin", true, now);
        assert_eq!(t.status, TaskStatus::Pending);
        assert_eq!(t.stages[0].status, StageStatus::Succeeded);
        assert_eq!(t.stages[1].status, StageStatus::Pending);
        assert!(t.error.is_none());
    }

    #[test]
    fn interruption_depends_on_idempotence() {
        let mut t = task();
        interrupted(&mut t, true, depot_model::now());
        assert_eq!(t.status, TaskStatus::Pending);
        let mut t = task();
        interrupted(&mut t, false, depot_model::now());
        assert_eq!(t.status, TaskStatus::Failed);
        assert!(t.retriable);
    }

    #[test]
    fn cancel_marks_remaining_stages() {
        let mut t = task();
        assert!(ended(&mut t, JobError::Canceled, true, depot_model::now()));
        assert_eq!(t.status, TaskStatus::Canceled);
        assert_eq!(t.stages[1].status, StageStatus::Canceled);
        assert!(!ended(
            &mut task(),
            JobError::Lost,
            true,
            depot_model::now()
        ));
    }
}
