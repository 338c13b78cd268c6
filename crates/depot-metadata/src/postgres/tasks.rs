//! [`TaskStore`] on PostgreSQL.

use async_trait::async_trait;
use depot_model::{Task, TaskId, TaskStatus, Timestamp};
use sqlx::{Postgres, QueryBuilder};

use super::PostgresStore;
use crate::sql::{
    INSERT_ATTEMPTS, InsertFailure, TaskRecord, push_claim, push_count, push_list, query_error,
    status_counts, task_columns, to_millis, update_error,
};
use crate::{InsertOutcome, Page, PageRequest, Result, TaskFilter, TaskStore};

impl PostgresStore {
    /// The pending or running task holding `key`, if any.
    async fn active_task_with_key(&self, key: &str) -> Result<Option<Task>> {
        let record: Option<TaskRecord> = sqlx::query_as(concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE concurrency_key = $1 AND status IN ('PENDING', 'RUNNING')"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("insert_task"))?;
        record.map(TaskRecord::into_task).transpose()
    }
}

#[async_trait]
impl TaskStore for PostgresStore {
    async fn insert_task(&self, task: &Task) -> Result<InsertOutcome> {
        for _ in 0..INSERT_ATTEMPTS {
            let mut qb = QueryBuilder::<Postgres>::default();
            TaskRecord::from_task(task, "insert_task")?.push_insert(&mut qb);
            let Err(err) = qb.build().execute(&self.pool).await else {
                return Ok(InsertOutcome::Inserted);
            };
            match InsertFailure::of(err, task) {
                InsertFailure::Fail(e) => return Err(e),
                InsertFailure::KeyTaken => {
                    let key = task.concurrency_key.as_deref().unwrap_or_default();
                    if let Some(holder) = self.active_task_with_key(key).await? {
                        return Ok(InsertOutcome::Existing(Box::new(holder)));
                    }
                    // The holder ended between our insert and our read: try again.
                }
            }
        }
        Err(InsertFailure::key_kept_changing(task))
    }

    async fn get_task(&self, id: TaskId) -> Result<Option<Task>> {
        let record: Option<TaskRecord> = sqlx::query_as(concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("get_task"))?;
        record.map(TaskRecord::into_task).transpose()
    }

    async fn list_tasks(&self, filter: &TaskFilter, page: PageRequest) -> Result<Page<Task>> {
        let op = "list_tasks";
        // One read transaction: the page and the total come from the same snapshot.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(query_error(op))?;
        let mut qb = QueryBuilder::<Postgres>::default();
        push_list(&mut qb, filter, page);
        let records: Vec<TaskRecord> = qb
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(op))?;
        let mut qb = QueryBuilder::<Postgres>::default();
        push_count(&mut qb, filter);
        let total: i64 = qb
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(Page {
            items: records
                .into_iter()
                .map(TaskRecord::into_task)
                .collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn update_task(&self, task: &Task) -> Result<Option<i64>> {
        let mut qb = QueryBuilder::<Postgres>::default();
        TaskRecord::from_task(task, "update_task")?.push_update(&mut qb);
        qb.build_query_scalar()
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| update_error(e, task))
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
        // One statement; the subquery skips rows another claimer has locked.
        let mut qb = QueryBuilder::<Postgres>::default();
        push_claim(
            &mut qb,
            names,
            owner,
            now,
            lease_until,
            "FOR UPDATE SKIP LOCKED",
        );
        let record: Option<TaskRecord> = qb
            .build_query_as()
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("claim_next"))?;
        record.map(TaskRecord::into_task).transpose()
    }

    async fn renew_leases(&self, owner: &str, lease_until: Timestamp) -> Result<()> {
        sqlx::query("UPDATE tasks SET lease_until = $1 WHERE owner = $2 AND status = 'RUNNING'")
            .bind(to_millis(lease_until))
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(query_error("renew_leases"))?;
        Ok(())
    }

    async fn orphaned_tasks(&self, owner: &str, now: Timestamp) -> Result<Vec<Task>> {
        let records: Vec<TaskRecord> = sqlx::query_as(concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status = 'RUNNING' AND (owner = $1 OR lease_until < $2)",
            " ORDER BY create_time, id"
        ))
        .bind(owner)
        .bind(to_millis(now))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("orphaned_tasks"))?;
        records.into_iter().map(TaskRecord::into_task).collect()
    }

    async fn request_cancel(&self, id: TaskId) -> Result<bool> {
        let done = sqlx::query("UPDATE tasks SET cancel_requested = TRUE WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(query_error("request_cancel"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn cancel_requested(&self, id: TaskId) -> Result<bool> {
        let flag: Option<bool> =
            sqlx::query_scalar("SELECT cancel_requested FROM tasks WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error("cancel_requested"))?;
        Ok(flag.unwrap_or(false))
    }

    async fn prune_tasks(&self, ended_before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM tasks WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELED') \
             AND end_time < $1",
        )
        .bind(to_millis(ended_before))
        .execute(&self.pool)
        .await
        .map_err(query_error("prune_tasks"))?;
        Ok(done.rows_affected())
    }

    async fn count_tasks_by_status(&self) -> Result<Vec<(TaskStatus, u64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM tasks GROUP BY status")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("count_tasks_by_status"))?;
        status_counts(rows)
    }
}
