//! [`InUse`]: which offline depots are being served right now. The `/depot/esx/` file
//! server holds a [`UseGuard`] while it streams a depot's file; `delete$task` without
//! `force` refuses a depot with any guard held (`ResourceInUse`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use depot_model::OfflineDepotId;

/// In-memory use counts per depot (this process's downloads only).
#[derive(Debug, Clone, Default)]
pub struct InUse(Arc<Mutex<HashMap<OfflineDepotId, usize>>>);

impl InUse {
    /// Marks depot `id` used until the guard is dropped.
    pub fn hold(&self, id: OfflineDepotId) -> UseGuard {
        *self.counts().entry(id).or_default() += 1;
        UseGuard {
            uses: self.clone(),
            id,
        }
    }

    /// Whether any guard of depot `id` is held.
    pub fn is_used(&self, id: OfflineDepotId) -> bool {
        self.counts().contains_key(&id)
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<OfflineDepotId, usize>> {
        // A counter cannot be left half-updated: a poisoned lock's data is fine.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One use of a depot; dropping it ends the use.
#[derive(Debug)]
pub struct UseGuard {
    uses: InUse,
    id: OfflineDepotId,
}

impl Drop for UseGuard {
    fn drop(&mut self) {
        let mut counts = self.uses.counts();
        if let Some(n) = counts.get_mut(&self.id) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_depot_is_used_while_any_guard_lives() {
        let uses = InUse::default();
        let (a, b) = (OfflineDepotId::new(), OfflineDepotId::new());
        let first = uses.hold(a);
        let second = uses.hold(a);
        assert!(uses.is_used(a));
        assert!(!uses.is_used(b));
        drop(first);
        assert!(uses.is_used(a));
        drop(second);
        assert!(!uses.is_used(a));
    }
}
