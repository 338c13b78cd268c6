//! A short-lived cache of finished tasks.
//!
//! Clients poll tasks; a finished task no longer changes except through `retry` (which
//! this node evicts at once) and pruning. Serving finished tasks from memory for a
//! moment spares the database the polling load; running tasks are always read fresh.
//! Each entry keeps the store's [`RemoteWrites`](depot_metadata::RemoteWrites) mark
//! from before it was read and is served only while the mark is unchanged, so another
//! replica's retry (announced as it commits) empties it at once; while announcements
//! cannot be heard nothing is served. [`TTL`] bounds an entry's age besides.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use depot_model::{Task, TaskId};

/// How long a finished task is served from memory.
pub(crate) const TTL: Duration = Duration::from_secs(2);
/// Most tasks kept; the cache is cleared when full.
const CAPACITY: usize = 10_000;

/// Finished tasks by id, with the time and the remote-writes mark they were read at.
#[derive(Default)]
pub(crate) struct FinishedCache {
    entries: Mutex<HashMap<TaskId, (Instant, u64, Task)>>,
}

impl FinishedCache {
    /// The cached task, if fresh and no other replica's write was announced since it
    /// was read (`mark`: the store's current mark).
    pub(crate) fn get(&self, id: TaskId, mark: Option<u64>) -> Option<Task> {
        let mark = mark?;
        self.lock()
            .get(&id)
            .filter(|(at, read_at, _)| at.elapsed() < TTL && *read_at == mark)
            .map(|(_, _, t)| t.clone())
    }

    /// Remembers `task` if it is finished; `mark` is the store's mark from before it
    /// was read (`None`: not kept).
    pub(crate) fn offer(&self, task: &Task, mark: Option<u64>) {
        if let (true, Some(mark)) = (task.status.is_terminal(), mark) {
            let mut map = self.lock();
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(task.id, (Instant::now(), mark, task.clone()));
        }
    }

    /// Forgets one task (it is changing).
    pub(crate) fn evict(&self, id: TaskId) {
        self.lock().remove(&id);
    }

    /// Forgets everything (after pruning).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TaskId, (Instant, u64, Task)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
