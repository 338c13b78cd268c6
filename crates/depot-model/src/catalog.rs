//! Accepted product version catalogs: the history record of each trusted version.

use crate::{Sha256Digest, TaskId, Timestamp};

/// How a catalog version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatalogChange {
    /// A signed catalog replaced the previous one (`POST`).
    Replace,
    /// Signed patches were merged into the previous one (`PATCH`).
    Merge,
}

impl CatalogChange {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogChange::Replace => "REPLACE",
            CatalogChange::Merge => "MERGE",
        }
    }

    /// Parses the storage name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "REPLACE" => Some(CatalogChange::Replace),
            "MERGE" => Some(CatalogChange::Merge),
            _ => None,
        }
    }
}

/// One accepted catalog version. Its content (the catalog as served) is a blob
/// addressed by `content_digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogVersion {
    /// Position in the history (1, 2, …); 0 before it is stored.
    pub id: i64,
    /// The catalog's `sequenceNumber`.
    pub sequence_number: i64,
    /// SHA-256 of the catalog content as served.
    pub content_digest: Sha256Digest,
    /// Size of that content in bytes.
    pub content_size: u64,
    /// SHA-256 of the signed file that was uploaded (or synced).
    pub file_digest: Sha256Digest,
    /// Replace or merge.
    pub change: CatalogChange,
    /// Who uploaded it.
    pub accepted_by: String,
    /// When it became current.
    pub accepted_at: Timestamp,
    /// The upload task.
    pub task_id: TaskId,
}
