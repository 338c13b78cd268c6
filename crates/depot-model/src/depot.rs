//! The synced depot: its stored settings, the metadata files mirrored from it and the
//! record of the last sync.

use crate::{Sha256Digest, TaskId, Timestamp};

/// The depot settings as stored: an opaque document (secrets already encrypted by the
/// service that writes it) and who changed it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDepotSettings {
    /// The settings document (JSON written and read by the depot service).
    pub document: String,
    /// When it was last written.
    pub updated_at: Timestamp,
    /// Who wrote it.
    pub updated_by: String,
}

/// One metadata file of the synced depot, as served downstream under `/depot/<path>`.
/// Its content is a blob addressed by `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotFile {
    /// Path in the depot layout, e.g.
    /// `PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json`.
    pub path: String,
    /// SHA-256 of the content.
    pub digest: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
    /// When this content was first synced (served as `Last-Modified`).
    pub modified_at: Timestamp,
    /// The upstream `ETag` of this content, for the next conditional request.
    pub upstream_etag: Option<String>,
    /// The upstream `Last-Modified` of this content, for the next conditional request.
    pub upstream_last_modified: Option<String>,
}

/// How the last sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncOutcome {
    /// Every file was checked and the metadata is current.
    Succeeded,
    /// The sync failed; the previous metadata stays in use.
    Failed,
}

impl SyncOutcome {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncOutcome::Succeeded => "SUCCEEDED",
            SyncOutcome::Failed => "FAILED",
        }
    }

    /// Parses the storage name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SUCCEEDED" => Some(SyncOutcome::Succeeded),
            "FAILED" => Some(SyncOutcome::Failed),
            _ => None,
        }
    }
}

/// The record of the last finished sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    /// The sync task.
    pub task_id: TaskId,
    /// How it ended.
    pub outcome: SyncOutcome,
    /// What went wrong, when it failed.
    pub error_message: Option<String>,
    /// When it ended.
    pub completed_at: Timestamp,
    /// When a sync last succeeded (this one or an earlier one).
    pub last_success_at: Option<Timestamp>,
}
