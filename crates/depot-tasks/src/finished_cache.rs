//! A short-lived cache of finished tasks.
//!
//! Clients poll tasks; a finished task no longer changes except through `retry` (which
//! this node evicts at once) and pruning. Serving finished tasks from memory for a
//! moment spares the database the polling load; running tasks are always read fresh.
//! Another replica's retry becomes visible here within [`TTL`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use depot_model::{Task, TaskId};

/// How long a finished task is served from memory.
pub(crate) const TTL: Duration = Duration::from_secs(2);
/// Most tasks kept; the cache is cleared when full.
const CAPACITY: usize = 10_000;

/// Finished tasks by id, with the time they were read.
#[derive(Default)]
pub(crate) struct FinishedCache {
    entries: Mutex<HashMap<TaskId, (Instant, Task)>>,
}

impl FinishedCache {
    /// The cached task, if fresh.
    pub(crate) fn get(&self, id: TaskId) -> Option<Task> {
        self.lock()
            .get(&id)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, t)| t.clone())
    }

    /// Remembers `task` if it is finished.
    pub(crate) fn offer(&self, task: &Task) {
        if task.status.is_terminal() {
            let mut map = self.lock();
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(task.id, (Instant::now(), task.clone()));
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

    fn lock(&self) -> MutexGuard<'_, HashMap<TaskId, (Instant, Task)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
