//! The write epoch of a database: a counter that moves after every change this
//! process makes, so that read caches can tell whether what they hold may be stale.
//!
//! A reader notes the epoch, reads, and keeps the result only if the epoch has not
//! moved meanwhile; a cached value is served only while the epoch is the one it was
//! read at. Writers advance the epoch *after* their change is committed (a statement
//! on the writer, or a [`WriteTx`] when it commits or is dropped), so a value read
//! before a commit can never outlive it.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Database, Transaction};

/// The counter, shared by the pools of one database.
#[derive(Debug, Default, Clone)]
pub(crate) struct WriteEpoch(Arc<AtomicU64>);

impl WriteEpoch {
    /// The current epoch.
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Moves the epoch on: every value read before now is stale.
    pub(crate) fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
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
        // Drop advances the epoch after the commit, whether or not it succeeded.
        tx.commit().await
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
