//! Slowing down password guessing without slowing down the users who know theirs.
//!
//! Three counts, each forgotten after 15 minutes without an attempt:
//!
//! - **One account from one address** (user name *and* address): after 5 failures,
//!   attempts are spaced: each may be checked only 250 ms after the one before it
//!   began, doubling per further failure up to 8 s. An attempt whose turn is more than
//!   8 s away is refused at once ([`Refused`]), so a guesser holds a handful of timers
//!   at most, never a thread, a hash slot or a database connection.
//! - **Many accounts from one address** (spraying), counted in distinct user names
//!   that failed there: from the 11th name on, attempts from that address are spaced
//!   the same way, except for user names that logged in successfully from it before.
//! - **One account from many addresses**: after 20 failures of the user name, each
//!   attempt from an address the user has not logged in from before waits 250 ms,
//!   doubling per failure up to 8 s. That wait is never refused and never queued
//!   behind other attempts: nobody can lock an account out this way, the
//!   administrator included, and a user's own known addresses are not slowed at all.
//!
//! Other users are not slowed by someone's failures: the counts are per user name and
//! address, and an address only slows names it has not seen succeed once it has tried
//! many names. A success forgets the failures of its name at its address and makes the
//! pair known for 30 days. An attempt counts as a failure when it begins, and is taken
//! back if it succeeds or could not be checked: a burst of concurrent guesses is slowed
//! like the same guesses one after another. IPv6 addresses count by their /64 prefix,
//! since one host usually holds all of it.
//!
//! Names and addresses are kept only as keyed 64-bit hashes (the key is random per
//! process), so an entry's size does not depend on what a client sent.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use depot_model::Timestamp;

/// Failures of one user name at one address before its attempts are spaced.
const FREE_PER_PAIR: u32 = 5;
/// Distinct failed user names from one address before its attempts are spaced.
const FREE_NAMES_PER_CLIENT: u32 = 10;
/// Failures of one user name, from anywhere, before unknown addresses wait.
const FREE_PER_ACCOUNT: u32 = 20;
const BASE_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(8);
const FORGET_AFTER: Duration = Duration::from_mins(15);
/// How long a successful login makes its user name and address known.
const KNOWN_FOR: Duration = Duration::from_hours(30 * 24);
/// Entries per table before faded ones are dropped (and, if that is not enough, all).
const MAX_TRACKED: usize = 100_000;
/// Failed names remembered per address; more are counted without telling them apart.
const NAMES_PER_CLIENT: usize = 16;

/// An attempt refused because its turn is too far away: it comes after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) Duration);

/// One login attempt's keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    name: u64,
    client: u64,
    pair: u64,
}

/// Failures of one key.
#[derive(Debug, Clone)]
struct Count {
    failures: u32,
    /// Last attempt.
    last: Timestamp,
    /// When the next attempt may be checked, once attempts are spaced.
    next: Timestamp,
    /// Distinct names that failed (address counts only; their `failures` are unused).
    names: Vec<u64>,
    /// Failures of names beyond `names` (address counts only).
    more_names: u32,
}

impl Count {
    fn new(now: Timestamp) -> Self {
        Self {
            failures: 0,
            last: now,
            next: now,
            names: Vec::new(),
            more_names: 0,
        }
    }

    /// Whether the last attempt is long enough before `now` to be forgotten. One
    /// "after" `now` (the clock was set back) is remembered.
    fn faded(&self, now: Timestamp) -> bool {
        (now - self.last)
            .to_std()
            .is_ok_and(|quiet| quiet >= FORGET_AFTER)
    }

    fn distinct_names(&self) -> u32 {
        u32::try_from(self.names.len())
            .unwrap_or(u32::MAX)
            .saturating_add(self.more_names)
    }

    fn add_name(&mut self, name: u64) {
        if self.names.contains(&name) {
            return;
        }
        if self.names.len() < NAMES_PER_CLIENT {
            self.names.push(name);
        } else {
            self.more_names = self.more_names.saturating_add(1);
        }
    }
}

#[derive(Debug, Default)]
struct State {
    pairs: HashMap<u64, Count>,
    clients: HashMap<u64, Count>,
    accounts: HashMap<u64, Count>,
    /// User name and address pairs that logged in, by when they last did.
    known: HashMap<u64, Timestamp>,
}

/// The failure counts of one process.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    state: Mutex<State>,
    keys: RandomState,
}

impl Throttle {
    /// The keys of an attempt for the name `name` (a user name, or a realm of
    /// [`AuthService::check_secret`](crate::AuthService::check_secret)) from `client`.
    pub(crate) fn attempt(&self, name: &str, client: &str) -> Attempt {
        let name = self.keys.hash_one(name);
        let client = self.keys.hash_one(client_key(client));
        Attempt {
            name,
            client,
            pair: self.keys.hash_one((name, client)),
        }
    }

    /// Begins `attempt` at `now`: how long it must wait before it is checked, or
    /// [`Refused`] (and not counted) when its turn is too far away.
    pub(crate) fn begin(&self, attempt: &Attempt, now: Timestamp) -> Result<Duration, Refused> {
        let mut state = self.lock();
        state.prune(now);
        let known = state
            .known
            .get(&attempt.pair)
            .is_some_and(|at| within(now, *at, KNOWN_FOR));
        let State {
            pairs,
            clients,
            accounts,
            ..
        } = &mut *state;
        let pair = fresh(pairs, attempt.pair, now);
        let client = fresh(clients, attempt.client, now);
        let account = fresh(accounts, attempt.name, now);

        let pair_spacing =
            (pair.failures >= FREE_PER_PAIR).then(|| spacing(pair.failures - FREE_PER_PAIR));
        let names = client.distinct_names();
        let client_spacing = (!known && names >= FREE_NAMES_PER_CLIENT)
            .then(|| spacing(names - FREE_NAMES_PER_CLIENT));
        let mut turn = now;
        if pair_spacing.is_some() {
            turn = turn.max(pair.next);
        }
        if client_spacing.is_some() {
            turn = turn.max(client.next);
        }
        let mut wait = until(now, turn);
        if wait > MAX_DELAY {
            return Err(Refused(wait));
        }
        if !known && account.failures >= FREE_PER_ACCOUNT {
            wait = wait.max(spacing(account.failures - FREE_PER_ACCOUNT));
        }

        let begins = now + chrono_delta(wait);
        for count in [&mut *pair, &mut *client, &mut *account] {
            count.failures = count.failures.saturating_add(1);
            count.last = now;
        }
        client.add_name(attempt.name);
        if let Some(s) = pair_spacing {
            pair.next = begins + chrono_delta(s);
        }
        if let Some(s) = client_spacing {
            client.next = begins + chrono_delta(s);
        }
        Ok(wait)
    }

    /// Ends an attempt whose password was right: its name's failures at its address
    /// are forgotten, the pair becomes known, the account's count is given back.
    pub(crate) fn succeeded(&self, attempt: &Attempt, now: Timestamp) {
        let mut state = self.lock();
        state.pairs.remove(&attempt.pair);
        take_back(&mut state.accounts, attempt.name);
        if let Some(client) = state.clients.get_mut(&attempt.client) {
            client.names.retain(|n| *n != attempt.name);
        }
        if state.known.len() >= MAX_TRACKED {
            state.known.retain(|_, at| within(now, *at, KNOWN_FOR));
            if state.known.len() >= MAX_TRACKED {
                state.known.clear();
            }
        }
        state.known.insert(attempt.pair, now);
    }

    /// Ends an attempt that could not be checked (the store or the hash gate failed):
    /// it is no failure.
    pub(crate) fn abandoned(&self, attempt: &Attempt) {
        let mut state = self.lock();
        let pair_left = take_back(&mut state.pairs, attempt.pair);
        take_back(&mut state.accounts, attempt.name);
        if !pair_left && let Some(client) = state.clients.get_mut(&attempt.client) {
            client.names.retain(|n| *n != attempt.name);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned state only holds counters: keep using it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Keeps the tables bounded: faded entries go when one is full, all if that is
    /// not enough (forgetting failures only makes attackers faster for a while).
    fn prune(&mut self, now: Timestamp) {
        for table in [&mut self.pairs, &mut self.clients, &mut self.accounts] {
            if table.len() >= MAX_TRACKED {
                table.retain(|_, c| !c.faded(now));
                if table.len() >= MAX_TRACKED {
                    table.clear();
                }
            }
        }
    }
}

/// The count of `key`, started afresh if it faded.
fn fresh(table: &mut HashMap<u64, Count>, key: u64, now: Timestamp) -> &mut Count {
    let count = table.entry(key).or_insert_with(|| Count::new(now));
    if count.faded(now) {
        *count = Count::new(now);
    }
    count
}

/// Gives one failure back; whether any are left.
fn take_back(table: &mut HashMap<u64, Count>, key: u64) -> bool {
    let Some(count) = table.get_mut(&key) else {
        return false;
    };
    count.failures = count.failures.saturating_sub(1);
    if count.failures == 0 {
        table.remove(&key);
        return false;
    }
    true
}

/// How long attempts are spaced after `over` failures beyond the free ones.
fn spacing(over: u32) -> Duration {
    (BASE_DELAY * 2u32.pow(over.min(6))).min(MAX_DELAY)
}

/// What an address is counted as: itself, or its /64 prefix for IPv6.
fn client_key(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6.to_canonical().to_string(),
        Ok(ip) => ip.to_string(),
        Err(_) => client.to_owned(),
    }
}

/// Whether `at` lies less than `span` before `now` (or after it: the clock was set back).
fn within(now: Timestamp, at: Timestamp, span: Duration) -> bool {
    match (now - at).to_std() {
        Ok(age) => age < span,
        Err(_) => true,
    }
}

fn until(now: Timestamp, then: Timestamp) -> Duration {
    (then - now).to_std().unwrap_or_default()
}

fn chrono_delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

#[cfg(test)]
mod tests;
