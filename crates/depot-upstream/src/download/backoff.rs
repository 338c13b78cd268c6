//! Waits between attempts: the policy's exponential backoff with jitter, so that
//! downloads that failed together do not all come back at the same instant.

use std::time::Duration;

use crate::settings::RetryPolicy;

/// The wait before retry number `retry`: between half and all of the policy's backoff.
pub(super) fn jittered(policy: &RetryPolicy, retry: u32) -> Duration {
    let random = getrandom::u32().unwrap_or(u32::MAX);
    spread(policy.backoff(retry), random)
}

/// `base / 2` plus a `random` share (in thousandths) of the other half.
fn spread(base: Duration, random: u32) -> Duration {
    let half = base / 2;
    half + base.saturating_sub(half) * (random % 1001) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_all_of_the_backoff() {
        let base = Duration::from_millis(800);
        assert_eq!(spread(base, 0), Duration::from_millis(400));
        assert_eq!(spread(base, 1000), base);
        assert_eq!(spread(base, 500), Duration::from_millis(600));
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for retry in 1..=4 {
            let wait = jittered(&policy, retry);
            let full = policy.backoff(retry);
            assert!(wait >= full / 2 && wait <= full, "{wait:?} of {full:?}");
        }
    }
}
