//! Slowing down repeated failed logins.
//!
//! Failures are counted per user name and per client address. From the fourth
//! consecutive failure on either key, every further attempt waits before it is checked:
//! 250 ms, doubling per failure, capped at 8 s. A success clears the user's count.
//! Counts fade after 15 minutes without failures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE_ATTEMPTS: u32 = 3;
const BASE_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(8);
const FORGET_AFTER: Duration = Duration::from_mins(15);
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failure counts by key (`user:<name>`, `client:<addr>`).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// How long an attempt for these keys must wait before it is checked.
    pub(crate) fn delay(&self, keys: &[String]) -> Duration {
        let map = self.lock();
        keys.iter()
            .filter_map(|k| map.get(k))
            .filter(|f| f.last.elapsed() < FORGET_AFTER)
            .map(|f| delay_for(f.count))
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Records a failed attempt.
    pub(crate) fn failed(&self, keys: &[String]) {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| f.last.elapsed() < FORGET_AFTER);
        }
        let now = Instant::now();
        for k in keys {
            let entry = map.entry(k.clone()).or_insert(Failures {
                count: 0,
                last: now,
            });
            if entry.last.elapsed() >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    /// Records a successful attempt.
    pub(crate) fn succeeded(&self, keys: &[String]) {
        let mut map = self.lock();
        for k in keys {
            map.remove(k);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // A poisoned map only holds counters: keep using it.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn delay_for(failures: u32) -> Duration {
    if failures <= FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_ATTEMPTS - 1).min(10);
    (BASE_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_free_attempts_and_reset_on_success() {
        let t = Throttle::default();
        let keys = vec!["user:a".to_owned()];
        for _ in 0..3 {
            t.failed(&keys);
        }
        assert_eq!(t.delay(&keys), Duration::ZERO);
        t.failed(&keys);
        assert_eq!(t.delay(&keys), BASE_DELAY);
        t.failed(&keys);
        assert_eq!(t.delay(&keys), BASE_DELAY * 2);
        for _ in 0..20 {
            t.failed(&keys);
        }
        assert_eq!(t.delay(&keys), MAX_DELAY);
        t.succeeded(&keys);
        assert_eq!(t.delay(&keys), Duration::ZERO);
    }
}
