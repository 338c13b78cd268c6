//! A bounded cache of values read from the database, valid for one write epoch.
//!
//! Any change this process makes (and, on PostgreSQL, any another replica announces)
//! advances the [`WriteEpoch`] and makes every entry stale at once; while the epoch is
//! unknown (the replicas' announcements cannot be heard) every read goes to the
//! database. Coarse, but it cannot miss a write path: the hot reads it
//! serves (an item, a library's item list) are repeated far more often than anything
//! is written.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use super::WriteEpoch;

/// At most this many entries; a full cache starts over.
const CAPACITY: usize = 4096;

/// Values by key, each with the epoch it was read at.
#[derive(Debug)]
pub(crate) struct ReadCache<K, V> {
    /// `None` when caching is off.
    entries: Option<Mutex<Entries<K, V>>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    /// The epoch every entry was read at; older ones were dropped.
    epoch: u64,
    map: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    /// A cache, or one that never holds anything when `enabled` is false.
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            entries: enabled.then(|| {
                Mutex::new(Entries {
                    epoch: 0,
                    map: HashMap::new(),
                })
            }),
        }
    }

    /// The value for `key`, or `read()`'s (kept if nothing was written meanwhile).
    pub(crate) async fn get_or_read<E, F>(
        &self,
        epoch: &WriteEpoch,
        key: K,
        read: F,
    ) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let Some(entries) = &self.entries else {
            return read.await;
        };
        let Some(before) = epoch.current() else {
            return read.await;
        };
        if let Some(value) = lock(entries).fresh(before, &key) {
            return Ok(value);
        }
        let value = read.await?;
        let mut entries = lock(entries);
        // Kept only if no write ended while it was read: then it is current.
        if epoch.current() == Some(before) {
            entries.keep(before, key, value.clone());
        }
        Ok(value)
    }
}

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    fn fresh(&mut self, epoch: u64, key: &K) -> Option<V> {
        self.forget_before(epoch);
        self.map.get(key).cloned()
    }

    fn keep(&mut self, epoch: u64, key: K, value: V) {
        self.forget_before(epoch);
        if self.map.len() >= CAPACITY {
            self.map.clear();
        }
        self.map.insert(key, value);
    }

    fn forget_before(&mut self, epoch: u64) {
        if self.epoch != epoch {
            self.map.clear();
            self.epoch = epoch;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a map that is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(n: usize) -> std::future::Ready<Result<usize, ()>> {
        std::future::ready(Ok(n))
    }

    #[tokio::test]
    async fn serves_until_a_write_ends() {
        let epoch = WriteEpoch::default();
        let cache = ReadCache::new(true);
        assert_eq!(cache.get_or_read(&epoch, 1, read(10)).await, Ok(10));
        assert_eq!(cache.get_or_read(&epoch, 1, read(11)).await, Ok(10));
        epoch.advance();
        assert_eq!(cache.get_or_read(&epoch, 1, read(12)).await, Ok(12));
    }

    #[tokio::test]
    async fn a_value_read_across_a_write_is_not_kept() {
        let epoch = WriteEpoch::default();
        let cache = ReadCache::new(true);
        let racing = async {
            epoch.advance();
            Ok::<_, ()>(20)
        };
        assert_eq!(cache.get_or_read(&epoch, 2, racing).await, Ok(20));
        assert_eq!(cache.get_or_read(&epoch, 2, read(21)).await, Ok(21));
    }

    #[tokio::test]
    async fn errors_unknown_epochs_and_disabled_caches_keep_nothing() {
        let epoch = WriteEpoch::default();
        let cache = ReadCache::new(true);
        assert_eq!(
            cache.get_or_read(&epoch, 3, async { Err(()) }).await,
            Err(())
        );
        assert_eq!(cache.get_or_read(&epoch, 3, read(30)).await, Ok(30));
        epoch.all.lose();
        assert_eq!(cache.get_or_read(&epoch, 3, read(31)).await, Ok(31));
        epoch.all.regain();
        assert_eq!(cache.get_or_read(&epoch, 3, read(32)).await, Ok(32));
        assert_eq!(cache.get_or_read(&epoch, 3, read(33)).await, Ok(32));
        let off = ReadCache::new(false);
        assert_eq!(off.get_or_read(&epoch, 4, read(40)).await, Ok(40));
        assert_eq!(off.get_or_read(&epoch, 4, read(41)).await, Ok(41));
    }

    #[tokio::test]
    async fn stays_bounded() {
        let epoch = WriteEpoch::default();
        let cache = ReadCache::new(true);
        for k in 0..=CAPACITY * 2 {
            cache.get_or_read(&epoch, k, read(k)).await.unwrap();
        }
        let len = cache.entries.as_ref().map(|e| lock(e).map.len());
        assert!(len.is_some_and(|n| n <= CAPACITY), "{len:?}");
    }
}
