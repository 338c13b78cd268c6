//! The stored forms of the depot settings, the synced depot files and the sync record,
//! and the writes both backends share.

use std::collections::BTreeSet;

use depot_model::{
    DepotFile, Sha256Digest, StoredDepotSettings, SyncOutcome, SyncRecord, TaskId, Timestamp,
};

use super::{SqlValue, Statement, from_millis, from_millis_opt, parse_digest, to_millis};
use crate::{MetadataError, Result};

/// The blob reference owner of every synced depot file.
pub(crate) const DEPOT_FILES_OWNER: &str = "depot-files";

/// The columns of `depot_settings`, in the order of [`SettingsRecord`].
pub(crate) const SETTINGS_COLUMNS: &str = "document, updated_at, updated_by";

/// The columns of `depot_files`, in the order of [`DepotFileRecord`].
pub(crate) const DEPOT_FILE_COLUMNS: &str =
    "path, digest, size, modified_at, upstream_etag, upstream_last_modified";

/// The record columns of `depot_sync`, in the order of [`SyncRow`].
pub(crate) const SYNC_COLUMNS: &str =
    "task_id, outcome, error_message, completed_at, last_success_at";

/// Rows per multi-row `INSERT`: 3,000 parameters at most, far below the limits of both
/// backends (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 500;

/// The `depot_settings` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct SettingsRecord {
    pub document: String,
    pub updated_at: i64,
    pub updated_by: String,
}

impl SettingsRecord {
    /// The domain settings.
    pub(crate) fn into_settings(self) -> Result<StoredDepotSettings> {
        Ok(StoredDepotSettings {
            document: self.document,
            updated_at: from_millis(self.updated_at, "depot settings", "updated_at")?,
            updated_by: self.updated_by,
        })
    }
}

/// A `depot_files` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct DepotFileRecord {
    pub path: String,
    pub digest: String,
    pub size: i64,
    pub modified_at: i64,
    pub upstream_etag: Option<String>,
    pub upstream_last_modified: Option<String>,
}

impl DepotFileRecord {
    /// The domain file; `Corrupt` when a column does not decode.
    pub(crate) fn into_file(self) -> Result<DepotFile> {
        Ok(DepotFile {
            size: u64::try_from(self.size).map_err(|e| MetadataError::Corrupt {
                what: "depot file",
                detail: format!("{}: size: {e}", self.path),
            })?,
            modified_at: from_millis(self.modified_at, "depot file", "modified_at")?,
            digest: parse_digest(
                &self.digest,
                "depot file",
                &format!("{}: digest", self.path),
            )?,
            path: self.path,
            upstream_etag: self.upstream_etag,
            upstream_last_modified: self.upstream_last_modified,
        })
    }

    /// The column values of `f`, in [`DEPOT_FILE_COLUMNS`] order.
    fn values(f: &DepotFile) -> [SqlValue; 6] {
        [
            f.path.clone().into(),
            (&f.digest).into(),
            // Sizes past i64::MAX do not exist; the catalog store clamps the same way.
            i64::try_from(f.size).unwrap_or(i64::MAX).into(),
            to_millis(f.modified_at).into(),
            f.upstream_etag.clone().into(),
            f.upstream_last_modified.clone().into(),
        ]
    }
}

/// The record columns of the `depot_sync` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct SyncRow {
    pub task_id: String,
    pub outcome: String,
    pub error_message: Option<String>,
    pub completed_at: i64,
    pub last_success_at: Option<i64>,
}

impl SyncRow {
    /// The domain record; `Corrupt` when a column does not decode.
    pub(crate) fn into_record(self) -> Result<SyncRecord> {
        let corrupt = |detail: String| MetadataError::Corrupt {
            what: "sync record",
            detail,
        };
        Ok(SyncRecord {
            task_id: self
                .task_id
                .parse::<TaskId>()
                .map_err(|e| corrupt(e.to_string()))?,
            outcome: SyncOutcome::parse(&self.outcome)
                .ok_or_else(|| corrupt(format!("outcome {:?}", self.outcome)))?,
            error_message: self.error_message,
            completed_at: from_millis(self.completed_at, "sync record", "completed_at")?,
            last_success_at: from_millis_opt(
                self.last_success_at,
                "sync record",
                "last_success_at",
            )?,
        })
    }
}

/// Stores `settings` in the singleton row, or deletes it for `None`.
pub(crate) fn settings_write(settings: Option<&StoredDepotSettings>) -> Statement {
    let Some(s) = settings else {
        return Statement::new("DELETE FROM depot_settings");
    };
    let mut qb = Statement::new(format!(
        "INSERT INTO depot_settings (singleton, {SETTINGS_COLUMNS}) VALUES (1, "
    ));
    qb.push_values([
        s.document.clone().into(),
        to_millis(s.updated_at).into(),
        s.updated_by.clone().into(),
    ]);
    qb.push(
        ") ON CONFLICT (singleton) DO UPDATE SET document = excluded.document, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    );
    qb
}

/// Replaces the document of the settings written at `version` (their `updated_at`),
/// if they still are; the version stays.
pub(crate) fn settings_document_write(version: Timestamp, document: &str) -> Statement {
    let mut qb = Statement::new("UPDATE depot_settings SET document = ");
    qb.push_bind(document.to_owned());
    qb.push(" WHERE singleton = 1 AND updated_at = ");
    qb.push_bind(to_millis(version));
    qb
}

/// Stores `record` in the singleton `depot_sync` row.
pub(crate) fn sync_record_write(record: &SyncRecord) -> Statement {
    let mut qb = Statement::new(format!(
        "INSERT INTO depot_sync (singleton, {SYNC_COLUMNS}) VALUES (1, "
    ));
    qb.push_values([
        record.task_id.to_string().into(),
        record.outcome.as_str().into(),
        record.error_message.clone().into(),
        to_millis(record.completed_at).into(),
        record.last_success_at.map(to_millis).into(),
    ]);
    qb.push(
        ") ON CONFLICT (singleton) DO UPDATE SET task_id = excluded.task_id, \
         outcome = excluded.outcome, error_message = excluded.error_message, \
         completed_at = excluded.completed_at, last_success_at = excluded.last_success_at",
    );
    qb
}

/// The writes of a depot sync after its catalog (if any) was accepted, in order: the
/// file set replaced by `files`, the `depot-files` blob references replaced by their
/// distinct digests, and `record`. The caller runs them in one transaction.
pub(crate) fn sync_writes(files: &[DepotFile], record: &SyncRecord) -> Vec<Statement> {
    let mut writes = vec![Statement::new("DELETE FROM depot_files")];
    for chunk in files.chunks(ROWS_PER_INSERT) {
        let mut insert = Statement::new(format!(
            "INSERT INTO depot_files ({DEPOT_FILE_COLUMNS}) VALUES "
        ));
        push_rows(&mut insert, chunk.iter().map(DepotFileRecord::values));
        writes.push(insert);
    }
    let mut delete_refs = Statement::new("DELETE FROM blob_refs WHERE owner = ");
    delete_refs.push_bind(DEPOT_FILES_OWNER);
    writes.push(delete_refs);
    let digests: Vec<&Sha256Digest> = files
        .iter()
        .map(|f| &f.digest)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in digests.chunks(ROWS_PER_INSERT) {
        let mut insert = Statement::new("INSERT INTO blob_refs (digest, owner) VALUES ");
        push_rows(
            &mut insert,
            chunk
                .iter()
                .map(|d| [SqlValue::from(*d), DEPOT_FILES_OWNER.into()]),
        );
        insert.push(" ON CONFLICT DO NOTHING");
        writes.push(insert);
    }
    writes.push(sync_record_write(record));
    writes
}

/// Sets the schedule slot to `slot` only if it is still `previous`; exactly one row is
/// affected when this caller won. One statement, so concurrent claimers cannot both
/// win: with no previous slot the insert of the singleton row succeeds once, otherwise
/// the guarded update matches once (PostgreSQL re-checks the guard after waiting for a
/// concurrent update of the row).
pub(crate) fn claim_slot(previous: Option<Timestamp>, slot: Timestamp) -> Statement {
    match previous {
        None => {
            let mut qb =
                Statement::new("INSERT INTO depot_sync_slot (singleton, slot) VALUES (1, ");
            qb.push_bind(to_millis(slot));
            qb.push(") ON CONFLICT (singleton) DO NOTHING");
            qb
        }
        Some(previous) => {
            let mut qb = Statement::new("UPDATE depot_sync_slot SET slot = ");
            qb.push_bind(to_millis(slot));
            qb.push(" WHERE singleton = 1 AND slot = ");
            qb.push_bind(to_millis(previous));
            qb
        }
    }
}

/// Appends `(…), (…), …`, one parenthesized list of bound parameters per row.
fn push_rows<const N: usize>(qb: &mut Statement, rows: impl Iterator<Item = [SqlValue; N]>) {
    for (i, row) in rows.enumerate() {
        qb.push(if i > 0 { ", (" } else { "(" });
        qb.push_values(row);
        qb.push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &[u8]) -> DepotFile {
        DepotFile {
            path: path.to_owned(),
            digest: Sha256Digest::compute(content),
            size: 1,
            modified_at: depot_model::now(),
            upstream_etag: None,
            upstream_last_modified: None,
        }
    }

    fn record() -> SyncRecord {
        SyncRecord {
            task_id: TaskId::new(),
            outcome: SyncOutcome::Succeeded,
            error_message: None,
            completed_at: depot_model::now(),
            last_success_at: None,
        }
    }

    #[test]
    fn large_file_sets_are_inserted_in_chunks() {
        let files: Vec<DepotFile> = (0..=ROWS_PER_INSERT)
            .map(|i| file(&format!("p{i}"), if i % 2 == 0 { b"a" } else { b"b" }))
            .collect();
        let sqls: Vec<String> = sync_writes(&files, &record())
            .iter()
            .map(|qb| qb.sql().to_owned())
            .collect();
        // Delete, two file inserts, delete refs, one insert of the two digests, record.
        assert_eq!(sqls.len(), 6);
        assert_eq!(sqls[1].matches('(').count(), 1 + ROWS_PER_INSERT);
        assert_eq!(sqls[2].matches('(').count(), 2);
        assert!(sqls[4].ends_with("VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"));
    }

    #[test]
    fn no_files_still_clears_the_set() {
        let sqls: Vec<String> = sync_writes(&[], &record())
            .iter()
            .map(|qb| qb.sql().to_owned())
            .collect();
        assert_eq!(sqls.len(), 3);
        assert_eq!(sqls[0], "DELETE FROM depot_files");
        assert_eq!(sqls[1], "DELETE FROM blob_refs WHERE owner = ?");
    }
}
