//! Slowing down repeated failed logins.
//!
//! Failures are counted per user name and per client address. From the fourth
//! consecutive failure for a user name, or the twenty-first from one address (many
//! users may share an address behind NAT), every further attempt waits before it is
//! checked: 250 ms, doubling per failure, capped at 8 s. A success clears the user's
//! count. Counts fade after 15 minutes without failures.
//!
//! An attempt is counted as a failure when it begins, and taken back if it succeeds
//! (or could not be checked): a burst of concurrent guesses is slowed like the same
//! guesses one after the other, not let through while none has failed yet.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use depot_model::Timestamp;

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
    last: Timestamp,
}

impl Failures {
    /// Whether the last failure is long enough before `now` to be forgotten. A failure
    /// "after" `now` (the clock was set back) is remembered.
    fn faded(&self, now: Timestamp) -> bool {
        (now - self.last)
            .to_std()
            .is_ok_and(|quiet| quiet >= FORGET_AFTER)
    }
}

/// Failure counts by key (`user:<name>`, `client:<addr>`).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// Begins an attempt for these keys at `now`: counts it as a failure and says how
    /// long it must wait (after the failures and attempts before it) before it is
    /// checked.
    pub(crate) fn begin(&self, keys: &[String], now: Timestamp) -> Duration {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| !f.faded(now));
        }
        let mut delay = Duration::ZERO;
        for k in keys {
            let entry = map.entry(k.clone()).or_insert(Failures {
                count: 0,
                last: now,
            });
            if entry.faded(now) {
                entry.count = 0;
            }
            delay = delay.max(delay_for(entry.count, free_attempts(k)));
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
        delay
    }

    /// Ends a successful attempt: the user's count is cleared, the attempt taken back
    /// from the client's.
    pub(crate) fn succeeded(&self, keys: &[String]) {
        let mut map = self.lock();
        for k in keys {
            if k.starts_with("user:") {
                map.remove(k);
            } else {
                take_back(&mut map, k);
            }
        }
    }

    /// Ends an attempt that could not be checked (the store failed): not a failure.
    pub(crate) fn abandoned(&self, keys: &[String]) {
        let mut map = self.lock();
        for k in keys {
            take_back(&mut map, k);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // A poisoned map only holds counters: keep using it.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn take_back(map: &mut HashMap<String, Failures>, key: &str) {
    if let Some(f) = map.get_mut(key) {
        f.count = f.count.saturating_sub(1);
        if f.count == 0 {
            map.remove(key);
        }
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

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn failures_fade_after_a_quiet_window() {
        let t = Throttle::default();
        let keys = vec!["user:d".to_owned()];
        for _ in 0..=FREE_ATTEMPTS_PER_USER {
            t.begin(&keys, now());
        }
        let almost = now() + chrono::TimeDelta::from_std(FORGET_AFTER).unwrap()
            - chrono::TimeDelta::seconds(1);
        assert_eq!(t.begin(&keys, almost), BASE_DELAY, "still remembered");
        let quiet = almost + chrono::TimeDelta::from_std(FORGET_AFTER).unwrap();
        assert_eq!(t.begin(&keys, quiet), Duration::ZERO, "forgotten");
        let back = now() - chrono::TimeDelta::hours(1);
        assert_eq!(
            t.begin(&keys, back),
            Duration::ZERO,
            "a clock set back forgets nothing more"
        );
        assert_eq!(t.lock()[&keys[0]].count, 2);
    }

    #[test]
    fn delays_grow_after_free_attempts_and_reset_on_success() {
        let t = Throttle::default();
        let keys = vec!["user:a".to_owned()];
        for _ in 0..3 {
            assert_eq!(t.begin(&keys, now()), Duration::ZERO);
        }
        assert_eq!(
            t.begin(&keys, now()),
            Duration::ZERO,
            "the fourth is checked at once"
        );
        assert_eq!(t.begin(&keys, now()), BASE_DELAY, "the fifth waits");
        assert_eq!(t.begin(&keys, now()), BASE_DELAY * 2);
        // An address is allowed more failures than one user name.
        let client = vec!["client:10.0.0.1".to_owned()];
        for _ in 0..=FREE_ATTEMPTS_PER_CLIENT {
            assert_eq!(t.begin(&client, now()), Duration::ZERO);
        }
        assert_eq!(t.begin(&client, now()), BASE_DELAY);
        for _ in 0..20 {
            t.begin(&keys, now());
        }
        assert_eq!(t.begin(&keys, now()), MAX_DELAY);
        t.succeeded(&keys);
        assert_eq!(t.begin(&keys, now()), Duration::ZERO);
    }

    #[test]
    fn attempts_count_from_when_they_begin() {
        // Ten guesses at once, none answered yet: the later ones already wait.
        let t = Throttle::default();
        let keys = vec!["user:b".to_owned(), "client:10.0.0.2".to_owned()];
        let delays: Vec<Duration> = (0..10).map(|_| t.begin(&keys, now())).collect();
        assert_eq!(delays[..4], [Duration::ZERO; 4]);
        assert_eq!(delays[4], BASE_DELAY);
        assert_eq!(delays[9], BASE_DELAY * 32);
    }

    #[test]
    fn success_and_abandon_take_the_attempt_back() {
        let t = Throttle::default();
        let user = "user:c".to_owned();
        let client = "client:10.0.0.3".to_owned();
        let keys = vec![user.clone(), client.clone()];
        for _ in 0..FREE_ATTEMPTS_PER_CLIENT {
            t.begin(&keys, now());
            t.abandoned(&keys);
        }
        // Abandoned attempts are no failures.
        assert_eq!(t.begin(&keys, now()), Duration::ZERO);
        t.succeeded(&keys);
        assert!(!t.lock().contains_key(&user) && !t.lock().contains_key(&client));
        // A success clears the user's failures but only its own attempt of the client's.
        for _ in 0..FREE_ATTEMPTS_PER_CLIENT {
            t.begin(std::slice::from_ref(&client), now());
        }
        t.begin(&keys, now());
        t.succeeded(&keys);
        assert_eq!(t.lock()[&client].count, FREE_ATTEMPTS_PER_CLIENT);
        assert!(!t.lock().contains_key(&user));
    }
}
