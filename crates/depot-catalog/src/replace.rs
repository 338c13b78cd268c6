//! Rollback protection for replacing the stored catalog (POST): [`decide_replace`].

use crate::error::CatalogError;
use crate::model::ProductVersionCatalog;
use depot_model::{CatalogVersion, Sha256Digest};

/// What identifies a stored or uploaded catalog for rollback protection: its sequence
/// number and the SHA-256 of the exact file bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CatalogRevision {
    /// `sequenceNumber` of the catalog.
    pub sequence_number: u64,
    /// SHA-256 of the file bytes as stored or uploaded.
    pub sha256: Sha256Digest,
}

impl CatalogRevision {
    /// The revision of `catalog`, parsed from `file_bytes`.
    pub fn of(catalog: &ProductVersionCatalog, file_bytes: &[u8]) -> Self {
        Self {
            sequence_number: catalog.sequence_number(),
            sha256: Sha256Digest::compute(file_bytes),
        }
    }

    /// The revision of a stored version: its sequence number and the digest of its file.
    pub fn of_version(version: &CatalogVersion) -> Self {
        Self {
            // Stored sequence numbers come from catalogs, which have no negative ones.
            sequence_number: u64::try_from(version.sequence_number).unwrap_or(0),
            sha256: version.file_digest,
        }
    }
}

/// What to do with a catalog uploaded to replace the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplaceDecision {
    /// Store the new catalog: there is none yet, or the new one has a higher sequence
    /// number.
    Apply,
    /// The very same file is stored already: succeed without changing anything.
    AlreadyStored,
}

/// Decides whether `incoming` may replace `stored` (`None`: nothing stored yet).
///
/// - higher sequence number, or nothing stored → [`ReplaceDecision::Apply`];
/// - equal sequence number and identical bytes → [`ReplaceDecision::AlreadyStored`];
/// - equal sequence number, different bytes → [`CatalogError::SequenceConflict`];
/// - lower sequence number → [`CatalogError::Rollback`] (even with identical bytes,
///   which cannot happen for a well-formed catalog).
pub fn decide_replace(
    stored: Option<&CatalogRevision>,
    incoming: &CatalogRevision,
) -> Result<ReplaceDecision, CatalogError> {
    let Some(stored) = stored else {
        return Ok(ReplaceDecision::Apply);
    };
    match incoming.sequence_number.cmp(&stored.sequence_number) {
        std::cmp::Ordering::Greater => Ok(ReplaceDecision::Apply),
        std::cmp::Ordering::Equal if incoming.sha256 == stored.sha256 => {
            Ok(ReplaceDecision::AlreadyStored)
        }
        std::cmp::Ordering::Equal => Err(CatalogError::SequenceConflict {
            sequence_number: incoming.sequence_number,
        }),
        std::cmp::Ordering::Less => Err(CatalogError::Rollback {
            stored: stored.sequence_number,
            incoming: incoming.sequence_number,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(sequence_number: u64, content: &[u8]) -> CatalogRevision {
        CatalogRevision {
            sequence_number,
            sha256: Sha256Digest::compute(content),
        }
    }

    #[test]
    fn decisions() {
        let stored = revision(5, b"a");
        assert_eq!(decide_replace(None, &stored), Ok(ReplaceDecision::Apply));
        assert_eq!(
            decide_replace(Some(&stored), &revision(6, b"b")),
            Ok(ReplaceDecision::Apply)
        );
        assert_eq!(
            decide_replace(Some(&stored), &revision(5, b"a")),
            Ok(ReplaceDecision::AlreadyStored)
        );
        assert_eq!(
            decide_replace(Some(&stored), &revision(5, b"b")),
            Err(CatalogError::SequenceConflict { sequence_number: 5 })
        );
        assert_eq!(
            decide_replace(Some(&stored), &revision(4, b"a")),
            Err(CatalogError::Rollback {
                stored: 5,
                incoming: 4
            })
        );
    }
}
