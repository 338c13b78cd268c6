//! What this process knows about writes made by *other* processes sharing its
//! database (the other replicas on one PostgreSQL database).
//!
//! A cache that stays valid only while nobody else writes notes [`RemoteWrites::mark`]
//! when it reads, and serves the value only while the mark is unchanged. The mark
//! moves when another replica announces a committed write, and is unknown (`None`)
//! while this process cannot hear those announcements (its listening connection is
//! lost): then nothing may be served from memory. A store nobody else writes (SQLite,
//! whose data dir one server locks) never moves its mark.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter that moves on each change it stands for, and can be unknown.
///
/// One atomic: the count in steps of two, the lowest bit set while unknown, so a
/// reader sees the count and whether it is known together.
#[derive(Debug, Default)]
pub(crate) struct Generation(AtomicU64);

#[cfg_attr(
    not(feature = "postgres"),
    expect(dead_code, reason = "only the PostgreSQL listener moves generations")
)]
impl Generation {
    /// The current generation, or `None` while changes may go unseen.
    pub(crate) fn current(&self) -> Option<u64> {
        let v = self.0.load(Ordering::Acquire);
        (v & 1 == 0).then_some(v)
    }

    /// One more change: every value read before now is stale.
    pub(crate) fn advance(&self) {
        self.0.fetch_add(2, Ordering::AcqRel);
    }

    /// Changes may now go unseen: [`current`](Self::current) is `None` until
    /// [`regain`](Self::regain).
    pub(crate) fn lose(&self) {
        self.0.fetch_or(1, Ordering::AcqRel);
    }

    /// Changes are seen again; the generation moves on (whatever was missed meanwhile
    /// is stale), or stays if it was never lost.
    pub(crate) fn regain(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                // Odd + 1: the bit clears and the count moves past every earlier value.
                (v & 1 == 1).then_some(v + 1)
            });
    }
}

/// Writes by other processes sharing the database, as a mark that moves with each one
/// announced (cheap to clone and to read).
#[derive(Debug, Clone, Default)]
pub struct RemoteWrites(pub(crate) Arc<Generation>);

impl RemoteWrites {
    /// A mark that never moves: for stores only this process writes.
    pub fn none() -> Self {
        Self::default()
    }

    /// The current mark, or `None` while another process's writes may go unseen (a
    /// value read then must not be kept). Two equal marks mean no other process's write
    /// was announced between them.
    pub fn mark(&self) -> Option<u64> {
        self.0.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_generations_are_unknown_until_regained_then_new() {
        let g = Generation::default();
        let start = g.current();
        assert_eq!(start, Some(0));
        g.advance();
        let one = g.current();
        assert!(one.is_some() && one != start);
        g.lose();
        assert_eq!(g.current(), None);
        g.advance();
        g.lose();
        assert_eq!(g.current(), None);
        g.regain();
        let back = g.current();
        assert!(back.is_some() && back != one && back != start);
        // Regaining what was never lost changes nothing.
        g.regain();
        assert_eq!(g.current(), back);
    }
}
