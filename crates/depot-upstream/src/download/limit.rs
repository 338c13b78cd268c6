//! [`RateLimit`]: a bandwidth limit in bytes per second, shared by every download that
//! holds it (one for the whole server, one per batch, …).

use std::num::NonZeroU64;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How far ahead of the steady rate a download may get after an idle spell.
const BURST: Duration = Duration::from_millis(100);

/// A token bucket (as a "theoretical arrival time": the instant by which everything taken
/// so far would have been sent at the steady rate). Cheap to share in an `Arc`; every
/// holder draws from the same budget.
#[derive(Debug)]
pub struct RateLimit {
    bytes_per_second: NonZeroU64,
    /// When the bytes taken so far are paid for.
    paid_until: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// A limit of `bytes_per_second`.
    pub fn new(bytes_per_second: NonZeroU64) -> Self {
        Self {
            bytes_per_second,
            paid_until: Mutex::new(None),
        }
    }

    /// The limit.
    pub fn bytes_per_second(&self) -> NonZeroU64 {
        self.bytes_per_second
    }

    /// Accounts for `bytes` just received and waits as long as it takes to keep the rate
    /// (up to [`BURST`] worth of bytes pass at once).
    pub async fn take(&self, bytes: u64) {
        if let Some(wait) = self.reserve(bytes, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Books `bytes` at `now`; returns how long the caller must wait, if at all.
    fn reserve(&self, bytes: u64, now: Instant) -> Option<Duration> {
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.bytes_per_second.get());
        let cost = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let mut paid_until = self
            .paid_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let start = paid_until.map_or(now, |t| t.max(now));
        let until = start + cost;
        *paid_until = Some(until);
        let ahead = until.duration_since(now);
        ahead.checked_sub(BURST).filter(|wait| !wait.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_pass_then_the_rate_holds() {
        let limit = RateLimit::new(NonZeroU64::new(1000).unwrap());
        let now = Instant::now();
        // 100 ms worth passes at once.
        assert_eq!(limit.reserve(100, now), None);
        // The next 500 bytes are 0.5 s behind the burst allowance.
        assert_eq!(limit.reserve(500, now), Some(Duration::from_millis(500)));
        // After an idle second the debt is gone, but no more than the burst is saved.
        let later = now + Duration::from_secs(2);
        assert_eq!(limit.reserve(100, later), None);
        assert_eq!(limit.reserve(100, later), Some(Duration::from_millis(100)));
    }
}
