//! [`TaskStore`] on SQL.

use async_trait::async_trait;
use depot_model::{Task, TaskId, TaskStatus, Timestamp};

use super::SqlStore;
use crate::sql::{
    Backend, INSERT_ATTEMPTS, InsertFailure, On, Statement, TaskRecord, push_claim, push_count,
    push_list, query_error, status_counts, task_columns, to_millis, update_error,
};
use crate::{InsertOutcome, Page, PageRequest, Result, TaskFilter, TaskStore};

/// The pending or running task holding `key` in `db`, if any.
async fn active_task_with_key<B: Backend>(db: &B, key: &str) -> Result<Option<Task>> {
    let stmt = Statement::new(concat!(
        "SELECT ",
        task_columns!(),
        " FROM tasks WHERE concurrency_key = ? AND status IN ('PENDING', 'RUNNING')"
    ))
    .bind(key);
    let record: Option<TaskRecord> = db
        .fetch_optional(On::Read, stmt)
        .await
        .map_err(query_error("insert_task"))?;
    record.map(TaskRecord::into_task).transpose()
}

#[async_trait]
impl<B: Backend> TaskStore for SqlStore<B> {
    fn remote_writes(&self) -> crate::RemoteWrites {
        self.db.epoch().remote()
    }

    async fn insert_task(&self, task: &Task) -> Result<InsertOutcome> {
        for _ in 0..INSERT_ATTEMPTS {
            let mut stmt = Statement::default();
            TaskRecord::from_task(task, "insert_task")?.push_insert(&mut stmt);
            let Err(err) = self.db.execute(On::Write, stmt).await else {
                return Ok(InsertOutcome::Inserted);
            };
            match InsertFailure::of(err, task) {
                InsertFailure::Fail(e) => return Err(e),
                InsertFailure::KeyTaken => {
                    let key = task.concurrency_key.as_deref().unwrap_or_default();
                    if let Some(holder) = active_task_with_key(&self.db, key).await? {
                        return Ok(InsertOutcome::Existing(Box::new(holder)));
                    }
                    // The holder ended between our insert and our read: try again.
                }
            }
        }
        Err(InsertFailure::key_kept_changing(task))
    }

    async fn get_task(&self, id: TaskId) -> Result<Option<Task>> {
        let stmt = Statement::new(concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE id = ?"
        ))
        .bind(id.to_string());
        let record: Option<TaskRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("get_task"))?;
        record.map(TaskRecord::into_task).transpose()
    }

    async fn list_tasks(&self, filter: &TaskFilter, page: PageRequest) -> Result<Page<Task>> {
        let op = "list_tasks";
        // One read snapshot: the page and the total come from the same state.
        let mut tx = self.db.begin_read().await.map_err(query_error(op))?;
        let mut list = Statement::default();
        push_list(&mut list, filter, page);
        let records: Vec<TaskRecord> = self
            .db
            .fetch_all(On::Tx(&mut tx), list)
            .await
            .map_err(query_error(op))?;
        let mut count = Statement::default();
        push_count(&mut count, filter);
        let total: Option<(i64,)> = self
            .db
            .fetch_optional(On::Tx(&mut tx), count)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(Page {
            items: records
                .into_iter()
                .map(TaskRecord::into_task)
                .collect::<Result<_>>()?,
            total: total.map_or(0, |(n,)| u64::try_from(n).unwrap_or(0)),
        })
    }

    async fn update_task(&self, task: &Task) -> Result<Option<i64>> {
        let mut stmt = Statement::default();
        TaskRecord::from_task(task, "update_task")?.push_update(&mut stmt);
        let version: Option<(i64,)> = self
            .db
            .fetch_optional(On::Write, stmt)
            .await
            .map_err(|e| update_error(e, task))?;
        Ok(version.map(|(v,)| v))
    }

    async fn claim_next(
        &self,
        names: &[String],
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Task>> {
        if names.is_empty() {
            return Ok(None);
        }
        // One statement. SQLite runs it on the single writer, so no two claims pick the
        // same row; on PostgreSQL the subquery skips rows another claimer has locked.
        let mut stmt = Statement::default();
        push_claim(
            &mut stmt,
            names,
            owner,
            now,
            lease_until,
            B::DIALECT.skip_locked(),
        );
        let record: Option<TaskRecord> = self
            .db
            .fetch_optional(On::Write, stmt)
            .await
            .map_err(query_error("claim_next"))?;
        record.map(TaskRecord::into_task).transpose()
    }

    async fn renew_leases(&self, owner: &str, lease_until: Timestamp) -> Result<()> {
        let stmt = Statement::new(
            "UPDATE tasks SET lease_until = ? WHERE owner = ? AND status = 'RUNNING'",
        )
        .bind(to_millis(lease_until))
        .bind(owner);
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("renew_leases"))?;
        Ok(())
    }

    async fn orphaned_tasks(&self, owner: &str, now: Timestamp) -> Result<Vec<Task>> {
        let stmt = Statement::new(concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status = 'RUNNING' AND (owner = ? OR lease_until < ?)",
            " ORDER BY create_time, id"
        ))
        .bind(owner)
        .bind(to_millis(now));
        let records: Vec<TaskRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("orphaned_tasks"))?;
        records.into_iter().map(TaskRecord::into_task).collect()
    }

    async fn request_cancel(&self, id: TaskId) -> Result<bool> {
        let stmt = Statement::new("UPDATE tasks SET cancel_requested = TRUE WHERE id = ?")
            .bind(id.to_string());
        let updated = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("request_cancel"))?;
        Ok(updated > 0)
    }

    async fn cancel_requested(&self, id: TaskId) -> Result<bool> {
        let stmt =
            Statement::new("SELECT cancel_requested FROM tasks WHERE id = ?").bind(id.to_string());
        let flag: Option<(bool,)> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("cancel_requested"))?;
        Ok(flag.is_some_and(|(requested,)| requested))
    }

    async fn prune_tasks(&self, ended_before: Timestamp) -> Result<u64> {
        let stmt = Statement::new(
            "DELETE FROM tasks WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELED') \
             AND end_time < ?",
        )
        .bind(to_millis(ended_before));
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("prune_tasks"))
    }

    async fn count_tasks_by_status(&self) -> Result<Vec<(TaskStatus, u64)>> {
        let stmt = Statement::new("SELECT status, COUNT(*) FROM tasks GROUP BY status");
        let rows: Vec<(String, i64)> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("count_tasks_by_status"))?;
        status_counts(rows)
    }
}
