//! The write epoch of a database: a counter that moves after every change this
//! process makes or hears of, so that read caches can tell whether what they hold may
//! be stale.
//!
//! A reader notes the epoch, reads, and keeps the result only if the epoch has not
//! moved meanwhile; a cached value is served only while the epoch is the one it was
//! read at. Writers advance the epoch *after* their change is committed (a statement
//! on the writer, or a [`WriteTx`] when it commits or is dropped), so a value read
//! before a commit can never outlive it. Where other processes write the same database
//! (PostgreSQL replicas), each committed write is also announced to them, and their
//! announcements advance this epoch; while they cannot be heard the epoch is unknown
//! and nothing is served from memory.

use std::fmt::Debug;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{Database, Transaction};

use crate::RemoteWrites;
use crate::remote_writes::Generation;

/// Tells the other processes on the database that a write of this one committed.
pub(crate) trait Announce: Debug + Send + Sync {
    /// Announces every write committed before the call; returns once it is sent (or
    /// failed, which is logged: the write itself stands).
    fn announce(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The counters, shared by the pools of one database.
#[derive(Debug, Default, Clone)]
pub(crate) struct WriteEpoch {
    /// Every write: this process's and the announced ones of others.
    pub(super) all: Arc<Generation>,
    /// The announced writes of other processes only.
    remote: Arc<Generation>,
    /// Where this process's writes are announced (none where nobody else writes).
    announce: Option<Arc<dyn Announce>>,
}

impl WriteEpoch {
    /// An epoch whose writes are announced through `announce`, with the generations
    /// its listener moves.
    pub(crate) fn announced(
        announce: Arc<dyn Announce>,
        all: Arc<Generation>,
        remote: Arc<Generation>,
    ) -> Self {
        Self {
            all,
            remote,
            announce: Some(announce),
        }
    }

    /// The current epoch, or `None` while other processes' writes may go unseen.
    pub(crate) fn current(&self) -> Option<u64> {
        self.all.current()
    }

    /// Moves the epoch on: every value read before now is stale.
    pub(crate) fn advance(&self) {
        self.all.advance();
    }

    /// After a committed write: moves the epoch on and announces the write.
    pub(crate) async fn written(&self) {
        self.advance();
        if let Some(announce) = &self.announce {
            announce.announce().await;
        }
    }

    /// The writes of other processes, for caches outside this crate.
    pub(crate) fn remote(&self) -> RemoteWrites {
        RemoteWrites(Arc::clone(&self.remote))
    }
}

/// A write transaction that advances the epoch when it ends, committed or not.
pub(crate) struct WriteTx<DB: Database> {
    tx: Option<Transaction<'static, DB>>,
    epoch: WriteEpoch,
}

impl<DB: Database> WriteTx<DB> {
    pub(crate) fn new(tx: Transaction<'static, DB>, epoch: WriteEpoch) -> Self {
        Self {
            tx: Some(tx),
            epoch,
        }
    }

    /// Commits the transaction, then advances the epoch.
    pub(crate) async fn commit(mut self) -> sqlx::Result<()> {
        let tx = self.tx.take().expect("a transaction is committed once");
        let done = tx.commit().await;
        // Drop advances the epoch again, harmlessly; a failed commit changed nothing.
        if done.is_ok() {
            self.epoch.written().await;
        }
        done
    }
}

impl<DB: Database> WriteTx<DB> {
    /// Rolls the transaction back (the epoch still advances: harmless).
    pub(crate) async fn rollback(mut self) -> sqlx::Result<()> {
        let tx = self.tx.take().expect("a transaction is ended once");
        tx.rollback().await
    }
}

impl<DB: Database> Drop for WriteTx<DB> {
    fn drop(&mut self) {
        // Rolled back (or committed, above): either way the epoch moves after the end.
        drop(self.tx.take());
        self.epoch.advance();
    }
}

impl<DB: Database> Deref for WriteTx<DB> {
    type Target = Transaction<'static, DB>;

    fn deref(&self) -> &Self::Target {
        self.tx
            .as_ref()
            .expect("the transaction is open until commit")
    }
}

impl<DB: Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.tx
            .as_mut()
            .expect("the transaction is open until commit")
    }
}
