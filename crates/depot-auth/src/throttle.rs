//! Slowing down repeated failed logins.
//!
//! Failures are counted per user name and per client address. From the fourth
//! consecutive failure for a user name, or the twenty-first from one address (many
//! users may share an address behind NAT), every further attempt waits before it is
//! checked: 250 ms, doubling per failure, capped at 8 s. A success clears the user's
//! count. Counts fade after 15 minutes without failures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed for one user name before attempts are slowed.
const FREE_ATTEMPTS_PER_USER: u32 = 3;
/// Failures allowed from one client address before attempts are slowed.
const FREE_ATTEMPTS_PER_CLIENT: u32 = 20;
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
            .filter_map(|k| map.get(k).map(|f| (k, f)))
            .filter(|(_, f)| f.last.elapsed() < FORGET_AFTER)
            .map(|(k, f)| delay_for(f.count, free_attempts(k)))
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

fn free_attempts(key: &str) -> u32 {
    if key.starts_with("client:") {
        FREE_ATTEMPTS_PER_CLIENT
    } else {
        FREE_ATTEMPTS_PER_USER
    }
}

fn delay_for(failures: u32, free: u32) -> Duration {
    if failures <= free {
        return Duration::ZERO;
    }
    let doublings = (failures - free - 1).min(10);
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
        // An address is allowed more failures than one user name.
        let client = vec!["client:10.0.0.1".to_owned()];
        for _ in 0..FREE_ATTEMPTS_PER_CLIENT {
            t.failed(&client);
        }
        assert_eq!(t.delay(&client), Duration::ZERO);
        t.failed(&client);
        assert_eq!(t.delay(&client), BASE_DELAY);
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
