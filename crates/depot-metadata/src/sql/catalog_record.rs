//! The stored form of accepted catalog versions.

use depot_model::{CatalogChange, CatalogVersion, TaskId};

use super::{Statement, from_millis, parse_digest, to_millis};
use crate::{MetadataError, Result};

/// The columns of `catalog_versions`, in the order of [`CatalogRecord`].
pub(crate) const CATALOG_COLUMNS: &str = "id, sequence_number, content_digest, content_size, \
     file_digest, change, accepted_by, accepted_at, task_id";

/// A `catalog_versions` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct CatalogRecord {
    pub id: i64,
    pub sequence_number: i64,
    pub content_digest: String,
    pub content_size: i64,
    pub file_digest: String,
    pub change: String,
    pub accepted_by: String,
    pub accepted_at: i64,
    pub task_id: String,
}

impl CatalogRecord {
    /// The stored form of `v` with history position `id`.
    pub(crate) fn from_version(v: &CatalogVersion, id: i64) -> Self {
        Self {
            id,
            sequence_number: v.sequence_number,
            content_digest: v.content_digest.to_string(),
            content_size: i64::try_from(v.content_size).unwrap_or(i64::MAX),
            file_digest: v.file_digest.to_string(),
            change: v.change.as_str().to_owned(),
            accepted_by: v.accepted_by.clone(),
            accepted_at: to_millis(v.accepted_at),
            task_id: v.task_id.to_string(),
        }
    }

    /// The domain record; `Corrupt` when a column does not decode.
    pub(crate) fn into_version(self) -> Result<CatalogVersion> {
        let corrupt = |detail: String| MetadataError::Corrupt {
            what: "catalog version",
            detail,
        };
        Ok(CatalogVersion {
            id: self.id,
            sequence_number: self.sequence_number,
            content_digest: parse_digest(
                &self.content_digest,
                "catalog version",
                "content_digest",
            )?,
            content_size: u64::try_from(self.content_size).map_err(|e| corrupt(e.to_string()))?,
            file_digest: parse_digest(&self.file_digest, "catalog version", "file_digest")?,
            change: CatalogChange::parse(&self.change)
                .ok_or_else(|| corrupt(format!("change {:?}", self.change)))?,
            accepted_by: self.accepted_by,
            accepted_at: from_millis(self.accepted_at, "catalog version", "accepted_at")?,
            task_id: self
                .task_id
                .parse::<TaskId>()
                .map_err(|e| corrupt(e.to_string()))?,
        })
    }
}

/// The writes that make `r` current, in order: its history row, the current pointer,
/// and the reference that keeps its content blob alive. The same SQL on both backends;
/// the caller runs them in one transaction after checking the previous version.
pub(crate) fn accept_writes(r: CatalogRecord) -> Vec<Statement> {
    let mut insert = Statement::new(format!(
        "INSERT INTO catalog_versions ({CATALOG_COLUMNS}) VALUES ("
    ));
    let id = r.id;
    let digest = r.content_digest.clone();
    let values: [super::SqlValue; 9] = [
        r.id.into(),
        r.sequence_number.into(),
        r.content_digest.into(),
        r.content_size.into(),
        r.file_digest.into(),
        r.change.into(),
        r.accepted_by.into(),
        r.accepted_at.into(),
        r.task_id.into(),
    ];
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            insert.push(", ");
        }
        insert.push_bind(v);
    }
    insert.push(")");
    let mut current =
        Statement::new("INSERT INTO catalog_current (singleton, version_id) VALUES (1, ");
    current.push_bind(id);
    current.push(") ON CONFLICT (singleton) DO UPDATE SET version_id = excluded.version_id");
    let mut reference = Statement::new("INSERT INTO blob_refs (digest, owner) VALUES (");
    reference.push_bind(digest);
    reference.push(", ");
    reference.push_bind(format!("catalog:{id}"));
    reference.push(") ON CONFLICT DO NOTHING");
    vec![insert, current, reference]
}
