//! [`DigestLocks`](crate::DigestLocks) on PostgreSQL: transaction-scoped advisory locks
//! (`pg_advisory_xact_lock_shared` / `pg_advisory_xact_lock` on two `int4` keys: a
//! namespace and the digest's first four bytes), each held by an open transaction.
//!
//! The locks have a small pool of their own, separate from the stores' pool: a lock
//! holds a connection for as long as its guard lives (a blob commit: milliseconds, or a
//! server-side copy of a large object), and many concurrent holders must not take the
//! connections the metadata statements need, nor wait for them (a holder runs no other
//! statement, so holders only ever wait for each other and the pool drains). At most
//! [`CONNECTIONS`] locks are held or awaited at once per process; a further one waits
//! up to [`WAIT`] for a connection, and a lock wait in the database is bounded by the
//! same (`lock_timeout`): past either the lock fails as `Unavailable` (retriable), it
//! never hangs. The two-key form lives in a key space of its own, apart from the
//! single-key catalog lock of the stores.

use std::time::Duration;

use async_trait::async_trait;
use depot_model::Sha256Digest;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::sync::oneshot;

use crate::digest_locks::{LockMode, LockSource};
use crate::sql::query_error;
use crate::{DigestLocks, Result};

/// Connections of the lock pool: locks held (or awaited in the database) at once.
pub(super) const CONNECTIONS: u32 = 8;

/// The longest wait for a lock pool connection, and for a lock in the database.
pub(super) const WAIT: Duration = Duration::from_secs(30);

/// The first key of every digest lock: "blob" in ASCII.
const NAMESPACE: i32 = 0x626c_6f62;

/// Digest locks over a lazily connected pool of their own on the database of `options`.
pub(super) fn digest_locks(options: &PgConnectOptions) -> DigestLocks {
    let lock_timeout = format!("{}ms", WAIT.as_millis());
    let pool = PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(WAIT)
        .connect_lazy_with(
            options
                .clone()
                .options([("lock_timeout", lock_timeout.as_str())]),
        );
    DigestLocks::new(std::sync::Arc::new(AdvisoryLocks { pool }))
}

/// The second key of `digest`'s lock: its first four bytes (a collision only costs
/// waiting).
fn key(digest: &Sha256Digest) -> i32 {
    let b = digest.as_bytes();
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Advisory locks, each in a transaction on the lock pool.
struct AdvisoryLocks {
    pool: PgPool,
}

impl AdvisoryLocks {
    /// A transaction holding the lock of `digest` in `mode`.
    async fn take(
        &self,
        digest: &Sha256Digest,
        mode: LockMode,
    ) -> sqlx::Result<Transaction<'static, Postgres>> {
        let sql = match mode {
            LockMode::Shared => "SELECT pg_advisory_xact_lock_shared($1, $2)",
            LockMode::Exclusive => "SELECT pg_advisory_xact_lock($1, $2)",
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql)
            .bind(NAMESPACE)
            .bind(key(digest))
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

#[async_trait]
impl LockSource for AdvisoryLocks {
    async fn hold(
        &self,
        digest: Sha256Digest,
        mode: LockMode,
        acquired: oneshot::Sender<Result<()>>,
        release: oneshot::Receiver<()>,
    ) {
        let tx = match self.take(&digest, mode).await {
            Ok(tx) => tx,
            Err(e) => {
                let _ = acquired.send(Err(query_error("digest_lock")(e)));
                return;
            }
        };
        if acquired.send(Ok(())).is_ok() {
            // Ends when the guard is dropped.
            let _ = release.await;
        }
        // The lock ends with the transaction (and, should the rollback fail, with the
        // connection, which sqlx then closes).
        if let Err(e) = tx.rollback().await {
            tracing::warn!(%digest, error = %e, "cannot end a digest lock's transaction");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_first_four_bytes() {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&[0xff, 0, 0, 1]);
        assert_eq!(key(&Sha256Digest::from_bytes(bytes)), -16_777_215);
        assert_eq!(NAMESPACE.to_be_bytes(), *b"blob");
    }
}
