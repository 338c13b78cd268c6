//! A task store that injects faults around the real one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use async_trait::async_trait;
use depot_metadata::{
    InsertOutcome, MetadataError, Page, PageRequest, SqliteStore, TaskFilter, TaskStore,
};
use depot_model::{Task, TaskId, TaskStatus, Timestamp};
use tokio::sync::{Notify, Semaphore};

/// Delegates to a [`SqliteStore`], except where a test asked for a fault.
pub struct FaultyStore {
    inner: Arc<SqliteStore>,
    hold_claims: AtomicBool,
    /// Signalled when a held `claim_next` starts waiting.
    pub claiming: Notify,
    claim_permits: Semaphore,
    failing_final_writes: AtomicU32,
}

impl FaultyStore {
    /// A store without faults over `inner`.
    pub fn new(inner: &Arc<SqliteStore>) -> Self {
        Self {
            inner: Arc::clone(inner),
            hold_claims: AtomicBool::new(false),
            claiming: Notify::new(),
            claim_permits: Semaphore::new(0),
            failing_final_writes: AtomicU32::new(0),
        }
    }

    /// From now on, `claim_next` signals [`FaultyStore::claiming`] and waits for a
    /// permit from [`FaultyStore::release_claims`] before it claims.
    pub fn hold_claims(&self) {
        self.hold_claims.store(true, Ordering::SeqCst);
    }

    /// Lets `n` held claims go on.
    pub fn release_claims(&self, n: usize) {
        self.claim_permits.add_permits(n);
    }

    /// The next `n` writes of a task in a terminal status fail as if the database
    /// were unreachable.
    pub fn fail_final_writes(&self, n: u32) {
        self.failing_final_writes.store(n, Ordering::SeqCst);
    }

    /// How many injected write failures are still to come.
    pub fn final_write_failures_left(&self) -> u32 {
        self.failing_final_writes.load(Ordering::SeqCst)
    }
}

fn unavailable(op: &'static str) -> MetadataError {
    MetadataError::Query {
        op,
        source: "injected fault: database unreachable".into(),
    }
}

#[async_trait]
impl TaskStore for FaultyStore {
    async fn insert_task(&self, task: &Task) -> depot_metadata::Result<InsertOutcome> {
        self.inner.insert_task(task).await
    }

    async fn get_task(&self, id: TaskId) -> depot_metadata::Result<Option<Task>> {
        self.inner.get_task(id).await
    }

    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        page: PageRequest,
    ) -> depot_metadata::Result<Page<Task>> {
        self.inner.list_tasks(filter, page).await
    }

    async fn update_task(&self, task: &Task) -> depot_metadata::Result<Option<i64>> {
        let fail = task.status.is_terminal()
            && self
                .failing_final_writes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if fail {
            return Err(unavailable("update_task"));
        }
        self.inner.update_task(task).await
    }

    async fn claim_next(
        &self,
        names: &[String],
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> depot_metadata::Result<Option<Task>> {
        if self.hold_claims.load(Ordering::SeqCst) {
            self.claiming.notify_one();
            self.claim_permits
                .acquire()
                .await
                .expect("semaphore open")
                .forget();
        }
        self.inner.claim_next(names, owner, now, lease_until).await
    }

    async fn renew_leases(
        &self,
        owner: &str,
        lease_until: Timestamp,
    ) -> depot_metadata::Result<()> {
        self.inner.renew_leases(owner, lease_until).await
    }

    async fn orphaned_tasks(
        &self,
        owner: &str,
        now: Timestamp,
    ) -> depot_metadata::Result<Vec<Task>> {
        self.inner.orphaned_tasks(owner, now).await
    }

    async fn request_cancel(&self, id: TaskId) -> depot_metadata::Result<bool> {
        self.inner.request_cancel(id).await
    }

    async fn cancel_requested(&self, id: TaskId) -> depot_metadata::Result<bool> {
        self.inner.cancel_requested(id).await
    }

    async fn prune_tasks(&self, ended_before: Timestamp) -> depot_metadata::Result<u64> {
        self.inner.prune_tasks(ended_before).await
    }

    async fn count_tasks_by_status(&self) -> depot_metadata::Result<Vec<(TaskStatus, u64)>> {
        self.inner.count_tasks_by_status().await
    }
}
