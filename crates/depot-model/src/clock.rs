//! Where "now" comes from when something is decided by time.
//!
//! Services take an `Arc<dyn Clock>` and ask it whenever they decide by time (is a
//! session idle too long, is a lease over, is a schedule slot due, is a task old enough
//! to prune). Servers give them [`SystemClock`]; tests give them a [`ManualClock`] and
//! move it forward instead of sleeping.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current time, in whole milliseconds (see [`crate::now`]).
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The system clock, shared.
    pub fn shared() -> Arc<dyn Clock> {
        Arc::new(Self)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        crate::now()
    }
}

/// A clock that stands still until it is set or advanced: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock showing `start` (truncated to whole milliseconds).
    pub fn at(start: Timestamp) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(whole_millis(start)),
        })
    }

    /// A clock showing the current system time, from then on moved by hand only.
    pub fn starting_now() -> Arc<Self> {
        Self::at(crate::now())
    }

    /// Moves the clock forward by `by` (to the end of the calendar at most).
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now = chrono::TimeDelta::from_std(by)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .map_or(Timestamp::MAX_UTC, whole_millis);
    }

    /// Sets the clock to `to`, forward or back.
    pub fn set(&self, to: Timestamp) {
        *self.lock() = whole_millis(to);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timestamp> {
        // A poisoned lock still holds a valid instant.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

fn whole_millis(t: Timestamp) -> Timestamp {
    Timestamp::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start: Timestamp = "2026-11-24T12:00:00.123456Z".parse().unwrap();
        let clock = ManualClock::at(start);
        let shown = clock.now();
        assert_eq!(shown.to_rfc3339(), "2026-11-24T12:00:00.123+00:00");
        assert_eq!(clock.now(), shown, "it stands still");
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now().to_rfc3339(), "2026-11-24T12:00:01.623+00:00");
        clock.set(start);
        assert_eq!(clock.now(), shown, "it can be set back");
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), Timestamp::MAX_UTC);
    }

    #[test]
    fn the_system_clock_follows_the_wall_clock() {
        let before = crate::now();
        let now = SystemClock.now();
        assert!(now >= before && now <= crate::now());
        assert_eq!(now.timestamp_subsec_nanos() % 1_000_000, 0);
    }
}
