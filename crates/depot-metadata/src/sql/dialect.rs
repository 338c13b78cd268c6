//! The SQL that differs between the backends, in one table: each clause with its
//! SQLite and its PostgreSQL form side by side.
//!
//! Most of it follows from how each keeps writers apart. SQLite serializes them: one
//! writer connection, and `BEGIN IMMEDIATE` takes the write lock from the start (so a
//! transaction excludes every other writer, whatever lock it asks for, and never fails
//! to upgrade a read lock half-way); nothing needs a row lock. PostgreSQL runs
//! concurrent writers in read-committed transactions: a read that guards a write locks
//! its row, claims skip rows another claimer holds, and changes of the current catalog
//! take an advisory lock first.

/// A backend's SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(any(test, all(feature = "sqlite", feature = "postgres"))),
    expect(
        dead_code,
        reason = "the backend whose feature is off is not constructed"
    )
)]
pub(crate) enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// `sqlite` or `postgres`, for logs and metrics.
    pub(crate) const fn name(self) -> &'static str {
        self.pick("sqlite", "postgres")
    }

    /// Begins a write transaction (on the writer).
    pub(crate) const fn begin_write(self) -> &'static str {
        self.pick("BEGIN IMMEDIATE", "BEGIN")
    }

    /// Begins a read-only transaction whose statements all see one snapshot (on SQLite
    /// a deferred transaction on a reader reads one WAL snapshot).
    pub(crate) const fn begin_read(self) -> &'static str {
        self.pick("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }

    /// Run first in a write transaction that must exclude every other change of the
    /// current catalog; `None` where write transactions exclude each other anyway.
    ///
    /// On PostgreSQL a transaction-scoped advisory lock ("depotcat" in ASCII:
    /// 0x6465_706f_7463_6174): without it, two transactions that both saw no current
    /// catalog could both insert (the second with the next id) and win.
    pub(crate) const fn catalog_lock(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("SELECT pg_advisory_xact_lock(7234312000436920692)"),
        }
    }

    /// Appended to a read in a write transaction whose row must stay as read until
    /// commit: `" FOR UPDATE"`, or `""` where write transactions exclude each other.
    pub(crate) const fn lock_row(self) -> &'static str {
        self.pick("", " FOR UPDATE")
    }

    /// Ends the subquery picking a row to claim: `FOR UPDATE SKIP LOCKED`, or `""`
    /// where writes are serialized.
    pub(crate) const fn skip_locked(self) -> &'static str {
        self.pick("", "FOR UPDATE SKIP LOCKED")
    }

    /// The SQLite or the PostgreSQL form.
    const fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite => sqlite,
            Self::Postgres => postgres,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_lock_key_spells_depotcat() {
        let key = i64::from_be_bytes(*b"depotcat");
        let sql = Dialect::Postgres.catalog_lock().expect("PostgreSQL locks");
        assert_eq!(sql, format!("SELECT pg_advisory_xact_lock({key})"));
        assert_eq!(Dialect::Sqlite.catalog_lock(), None);
    }

    #[test]
    fn only_concurrent_writers_lock_rows() {
        for clause in [Dialect::lock_row, Dialect::skip_locked] {
            assert_eq!(clause(Dialect::Sqlite), "");
            assert!(clause(Dialect::Postgres).contains("FOR UPDATE"));
        }
    }
}
