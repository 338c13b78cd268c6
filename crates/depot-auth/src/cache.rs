//! A short-lived in-memory cache of validated sessions.
//!
//! A cached entry is trusted for `ttl` after it was read from the store, and only while
//! no other replica's write has been announced since (the store's
//! [`RemoteWrites`](depot_metadata::RemoteWrites) mark is the one noted before the
//! read): a logout or a user removed on another replica on one PostgreSQL database ends
//! the session here as soon as its announcement arrives (milliseconds), and while
//! announcements cannot be heard nothing is trusted from memory. A process that
//! announces nothing (the CLI on SQLite) is seen within `ttl`. Changes made through
//! this process evict entries at once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use depot_model::{SessionKind, Timestamp, TokenHash, UserName};

use crate::Principal;

/// One validated session.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) principal: Principal,
    pub(crate) kind: SessionKind,
    /// The refresh token of an access token's family.
    pub(crate) refresh: Option<TokenHash>,
    pub(crate) created: Timestamp,
    /// Last use seen by this process.
    pub(crate) last_accessed: Timestamp,
    /// Last use written to the store.
    pub(crate) persisted_access: Timestamp,
    /// When it was read from the store, by the service's clock.
    pub(crate) validated_at: Timestamp,
    /// The store's remote-writes mark from before it was read (`None`: never trusted).
    pub(crate) read_mark: Option<u64>,
}

/// Validated sessions by token hash.
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    entries: Mutex<HashMap<TokenHash, Entry>>,
}

impl SessionCache {
    /// The entry for `hash` if it was validated less than `ttl` before `now` and no
    /// other replica's write was announced since (`mark`: the store's current mark). An
    /// entry validated "after" `now` (the clock was set back) is not trusted.
    pub(crate) fn fresh(
        &self,
        hash: &TokenHash,
        ttl: Duration,
        now: Timestamp,
        mark: Option<u64>,
    ) -> Option<Entry> {
        mark?;
        let map = self.lock();
        map.get(hash)
            .filter(|e| e.read_mark == mark)
            .filter(|e| (now - e.validated_at).to_std().is_ok_and(|age| age < ttl))
            .cloned()
    }

    /// Stores or replaces an entry.
    pub(crate) fn put(&self, hash: TokenHash, entry: Entry) {
        let mut map = self.lock();
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert(hash, entry);
    }

    /// Records a use of a cached session.
    pub(crate) fn touch(&self, hash: &TokenHash, at: Timestamp, persisted: bool) {
        if let Some(e) = self.lock().get_mut(hash) {
            e.last_accessed = e.last_accessed.max(at);
            if persisted {
                e.persisted_access = at;
            }
        }
    }

    /// Forgets one session.
    pub(crate) fn evict(&self, hash: &TokenHash) {
        self.lock().remove(hash);
    }

    /// Forgets a refresh token and the access tokens of its family.
    pub(crate) fn evict_family(&self, refresh: &TokenHash) {
        self.lock()
            .retain(|hash, e| hash != refresh && e.refresh.as_ref() != Some(refresh));
    }

    /// Forgets every session of `user`.
    pub(crate) fn evict_user(&self, user: &UserName) {
        self.lock().retain(|_, e| &e.principal.user != user);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TokenHash, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
