use depot_model::UserName;

use super::*;

fn t0() -> Timestamp {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

fn later(ms: u64) -> Timestamp {
    t0() + chrono_delta(Duration::from_millis(ms))
}

/// A valid user name, as the throttle sees it.
fn name(s: &str) -> String {
    UserName::parse(s).unwrap().as_str().to_owned()
}

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Fails `n` attempts of `user` from `client` at `at`, each waiting at most `MAX_DELAY`.
fn fail_n(t: &Throttle, user: &str, client: &str, n: usize, at: Timestamp) {
    let a = t.attempt(&name(user), client);
    for i in 0..n {
        // Each attempt begins once the one before may have been checked.
        let now = at + chrono_delta(MAX_DELAY * u32::try_from(2 * i).unwrap());
        t.begin(&a, now).expect("not refused");
    }
}

#[test]
fn one_account_from_one_address_is_spaced_then_refused() {
    let t = Throttle::default();
    let x = t.attempt(&name("x"), "10.0.0.1");
    for _ in 0..=FREE_PER_PAIR {
        assert_eq!(t.begin(&x, t0()), Ok(Duration::ZERO));
    }
    // A burst, none answered yet: each waits its turn after the one before it.
    let waits: Vec<_> = (0..5).map(|_| t.begin(&x, t0()).unwrap()).collect();
    assert_eq!(waits, [MS(250), MS(750), MS(1750), MS(3750), MS(7750)]);
    // The next turn is more than 8 s away: refused, and not counted.
    assert_eq!(t.begin(&x, t0()), Err(Refused(MS(15_750))));
    assert_eq!(t.begin(&x, later(7_000)), Err(Refused(MS(8_750))));
    assert_eq!(t.lock().pairs[&x.pair].failures, 11);
    // Once its turn has come, an attempt is checked at once.
    assert_eq!(t.begin(&x, later(15_750)), Ok(Duration::ZERO));
    assert_eq!(t.begin(&x, later(15_750)), Ok(MAX_DELAY));
}

#[test]
fn other_users_at_the_same_address_are_not_slowed() {
    let t = Throttle::default();
    fail_n(&t, "x", "10.0.0.1", 30, t0());
    let now = later(600_000);
    let y = t.attempt(&name("y"), "10.0.0.1");
    assert_eq!(t.begin(&y, now), Ok(Duration::ZERO));
    t.succeeded(&y, now);
    // Nor is x from an address where x logged in before.
    let home = t.attempt(&name("x"), "10.0.0.9");
    t.succeeded(&home, t0());
    assert_eq!(t.begin(&home, now), Ok(Duration::ZERO));
    // x from a new address waits (30 failures of x), but is never refused.
    let away = t.attempt(&name("x"), "10.0.0.8");
    for _ in 0..10 {
        let wait = t.begin(&away, now).expect("the account rule never refuses");
        assert!(wait <= MAX_DELAY && wait >= MS(250), "{wait:?}");
        if t.lock().pairs[&away.pair].failures >= FREE_PER_PAIR {
            break;
        }
    }
}

#[test]
fn guessing_one_account_from_many_addresses_slows_only_unknown_addresses() {
    let t = Throttle::default();
    let admin = name("administrator@vsphere.local");
    let desk = t.attempt(&admin, "192.0.2.1");
    t.succeeded(&desk, t0());
    // A thousand addresses, one wrong guess each, all at once.
    let mut most = Duration::ZERO;
    for i in 0..1000u32 {
        let a = t.attempt(&admin, &format!("198.51.{}.{}", i / 256, i % 256));
        let wait = t.begin(&a, t0()).expect("never refused");
        most = most.max(wait);
    }
    assert_eq!(most, MAX_DELAY, "waits grow, capped");
    // The administrator's own desk is not slowed; a new address waits at most 8 s.
    assert_eq!(t.begin(&desk, t0()), Ok(Duration::ZERO));
    let laptop = t.attempt(&admin, "203.0.113.7");
    assert_eq!(t.begin(&laptop, t0()), Ok(MAX_DELAY));
    // Known pairs are forgotten after 30 days.
    let month = t0() + chrono_delta(KNOWN_FOR);
    let desk_again = t.attempt(&admin, "192.0.2.1");
    t.begin(&desk_again, month).unwrap();
    assert!(
        !t.lock()
            .known
            .get(&desk.pair)
            .is_some_and(|at| within(month, *at, KNOWN_FOR))
    );
}

#[test]
fn spraying_many_names_from_one_address_is_spaced_except_for_known_users() {
    let t = Throttle::default();
    let regular = t.attempt(&name("regular"), "10.0.0.2");
    t.succeeded(&regular, t0());
    for i in 0..FREE_NAMES_PER_CLIENT {
        let a = t.attempt(&name(&format!("user{i}")), "10.0.0.2");
        assert_eq!(t.begin(&a, t0()), Ok(Duration::ZERO));
    }
    let waits: Vec<_> = (0..5)
        .map(|i| {
            let a = t.attempt(&name(&format!("more{i}")), "10.0.0.2");
            t.begin(&a, t0()).unwrap()
        })
        .collect();
    assert_eq!(waits, [MS(0), MS(250), MS(750), MS(1750), MS(3750)]);
    let next = t.attempt(&name("more5"), "10.0.0.2");
    assert_eq!(t.begin(&next, t0()), Ok(MS(7750)));
    let refused = t.attempt(&name("more6"), "10.0.0.2");
    assert_eq!(t.begin(&refused, t0()), Err(Refused(MS(15_750))));
    // Names beyond those remembered still count; a refused one does not.
    let c = t.lock().clients[&next.client].distinct_names();
    assert_eq!(c, FREE_NAMES_PER_CLIENT + 6);
    // A user who logged in from this address before is not held up.
    assert_eq!(t.begin(&regular, t0()), Ok(Duration::ZERO));
    // Another address is not affected.
    let elsewhere = t.attempt(&name("more7"), "10.0.0.3");
    assert_eq!(t.begin(&elsewhere, t0()), Ok(Duration::ZERO));
}

#[test]
fn a_success_forgets_its_pair_and_an_abandoned_attempt_is_no_failure() {
    let t = Throttle::default();
    let x = t.attempt(&name("x"), "10.0.0.4");
    for _ in 0..FREE_PER_PAIR {
        t.begin(&x, t0()).unwrap();
        t.abandoned(&x);
    }
    assert!(!t.lock().pairs.contains_key(&x.pair));
    assert!(!t.lock().accounts.contains_key(&x.name));
    assert!(t.lock().clients[&x.client].names.is_empty());
    for _ in 0..8 {
        t.begin(&x, t0()).unwrap_or_default();
    }
    assert_eq!(t.lock().accounts[&x.name].failures, 8);
    t.succeeded(&x, t0());
    assert!(!t.lock().pairs.contains_key(&x.pair));
    assert_eq!(
        t.lock().accounts[&x.name].failures,
        7,
        "only the attempt is taken back"
    );
    assert_eq!(t.begin(&x, t0()), Ok(Duration::ZERO));
}

#[test]
fn failures_fade_after_a_quiet_window() {
    let t = Throttle::default();
    let x = t.attempt(&name("x"), "10.0.0.5");
    for _ in 0..=FREE_PER_PAIR + 1 {
        t.begin(&x, t0()).unwrap();
    }
    let almost = t0() + chrono_delta(FORGET_AFTER) - chrono::TimeDelta::seconds(1);
    assert_eq!(t.begin(&x, almost), Ok(Duration::ZERO), "its turn has come");
    assert_eq!(
        t.lock().pairs[&x.pair].failures,
        FREE_PER_PAIR + 3,
        "still counted"
    );
    let quiet = almost + chrono_delta(FORGET_AFTER);
    t.begin(&x, quiet).unwrap();
    assert_eq!(t.lock().pairs[&x.pair].failures, 1, "forgotten");
    let back = t0() - chrono::TimeDelta::hours(1);
    t.begin(&x, back).unwrap();
    assert_eq!(
        t.lock().pairs[&x.pair].failures,
        2,
        "a clock set back forgets nothing more"
    );
}

#[test]
fn ipv6_addresses_count_by_their_64_prefix() {
    assert_eq!(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    assert_eq!(client_key("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
    assert_eq!(client_key("::ffff:192.0.2.1"), "192.0.2.1");
    assert_eq!(client_key("192.0.2.1"), "192.0.2.1");
    assert_eq!(client_key("unknown"), "unknown");
    let t = Throttle::default();
    let a = t.attempt(&name("x"), "2001:db8:1:2::1");
    let b = t.attempt(&name("x"), "2001:db8:1:2::2");
    assert_eq!(a.pair, b.pair);
}

#[test]
fn the_tables_stay_bounded() {
    let t = Throttle::default();
    for i in 0..(MAX_TRACKED + 10) {
        let a = t.attempt(&name(&format!("u{i}")), &format!("c{i}"));
        t.begin(&a, t0()).unwrap();
        t.succeeded(&a, t0());
    }
    let state = t.lock();
    for len in [
        state.pairs.len(),
        state.clients.len(),
        state.accounts.len(),
        state.known.len(),
    ] {
        assert!(len <= MAX_TRACKED, "{len}");
    }
}
