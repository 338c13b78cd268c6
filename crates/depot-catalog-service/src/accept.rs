//! Making a catalog current, written once for the upload job (POST and PATCH) and the
//! depot sync job: the replace rule, the new version record, the write that succeeds
//! only if the current version is still the one decided against (retried when another
//! writer got in first), and the refresh of the current catalog's cache.
//!
//! What the jobs differ in — what they offer against the current version (a replacing
//! file, or patches merged into the current catalog) and what they write with it (the
//! version alone, or with the synced files) — is an [`Acceptance`].

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use depot_catalog::{CatalogError, CatalogRevision, ProductVersionCatalog, ReplaceDecision};
use depot_metadata::{MetadataError, MetadataStore};
use depot_model::{CatalogChange, CatalogVersion, Sha256Digest, TaskId, Timestamp};
use depot_tasks::{JobContext, JobError};

use crate::current::CurrentCache;

/// Attempts to write when another writer changes the current catalog meanwhile.
const ATTEMPTS: usize = 5;

/// A signed catalog file as uploaded or synced, verified and parsed.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    /// The file's bytes.
    pub bytes: Bytes,
    /// Their SHA-256.
    pub digest: Sha256Digest,
    /// The parsed catalog.
    pub parsed: Arc<ProductVersionCatalog>,
}

impl CatalogFile {
    /// What identifies the file for the replace rule.
    pub fn revision(&self) -> CatalogRevision {
        CatalogRevision {
            sequence_number: self.parsed.sequence_number(),
            sha256: self.digest,
        }
    }

    /// The file as the new current catalog, served as it is.
    pub fn replacement(&self) -> Candidate {
        Candidate {
            content: self.bytes.clone(),
            content_digest: self.digest,
            file_digest: self.digest,
            change: CatalogChange::Replace,
            parsed: Arc::clone(&self.parsed),
        }
    }
}

/// A catalog about to become current.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The catalog as it will be served (stored as a blob before it is written).
    pub content: Bytes,
    /// The SHA-256 of `content`.
    pub content_digest: Sha256Digest,
    /// The SHA-256 of the signed file that was uploaded or synced.
    pub file_digest: Sha256Digest,
    /// Replace or merge.
    pub change: CatalogChange,
    /// `content` parsed, cached for the next merge and the release versions.
    pub parsed: Arc<ProductVersionCatalog>,
}

impl Candidate {
    /// The version record of this candidate, accepted by `by`.
    fn version(&self, by: &Acceptor) -> CatalogVersion {
        CatalogVersion {
            id: 0,
            sequence_number: i64::try_from(self.parsed.sequence_number()).unwrap_or(i64::MAX),
            content_digest: self.content_digest,
            content_size: self.content.len() as u64,
            file_digest: self.file_digest,
            change: self.change,
            accepted_by: by.accepted_by.clone(),
            accepted_at: by.accepted_at,
            task_id: by.task_id,
        }
    }
}

/// Who accepts a catalog and when: the accepting task, at the engine's time.
#[derive(Debug, Clone)]
pub struct Acceptor {
    /// Who created the task.
    pub accepted_by: String,
    /// When the acceptance began.
    pub accepted_at: Timestamp,
    /// The task.
    pub task_id: TaskId,
}

impl Acceptor {
    /// The task of `ctx`, now.
    pub fn of(ctx: &JobContext) -> Self {
        Self {
            accepted_by: ctx.task().created_by.clone(),
            accepted_at: ctx.now(),
            task_id: ctx.task().id,
        }
    }
}

/// What a job offers against the current version.
#[derive(Debug, Clone)]
pub enum Offer {
    /// The identical file is current already: nothing to write.
    Current(CatalogVersion),
    /// This catalog should become current.
    New(Candidate),
}

/// How an acceptance ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The identical file was current already; nothing was written.
    Unchanged(CatalogVersion),
    /// This version is now current (and cached).
    Stored(CatalogVersion),
}

/// Why a catalog was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// The catalog rules refuse it (rollback, sequence conflict, a bad merge).
    #[error(transparent)]
    Refused(#[from] CatalogError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] MetadataError),
    /// The current catalog changed before every attempt's write.
    #[error("the current catalog kept changing ({ATTEMPTS} attempts)")]
    Busy,
    /// A step of the job failed (its blob store, its task log), as the job reports it.
    #[error(transparent)]
    Job(#[from] JobError),
}

/// The steps of an acceptance that differ between the jobs.
#[async_trait]
pub trait Acceptance: Send {
    /// What to make current, given the current version (`None`: none yet). Asked again
    /// after another writer changed it. A [`Offer::New`] candidate's content must be in
    /// the blob store when this returns.
    async fn offer(&mut self, current: Option<&CatalogVersion>) -> Result<Offer, AcceptError>;

    /// Writes `version` only if the current version's id is still `previous`: the
    /// stored version (with its id), or `None` when another writer got in first.
    async fn write(
        &mut self,
        version: &CatalogVersion,
        previous: Option<i64>,
    ) -> Result<Option<CatalogVersion>, AcceptError>;
}

/// Makes what `steps` offer current, as accepted by `by`: decides against the current
/// version, writes the version record if that is still current, and retries from the
/// decision when it is not. The accepted version and its content go into `cache`.
pub async fn accept(
    store: &dyn MetadataStore,
    cache: &CurrentCache,
    by: &Acceptor,
    steps: &mut dyn Acceptance,
) -> Result<Accepted, AcceptError> {
    for _ in 0..ATTEMPTS {
        let current = store.current_catalog().await?;
        let candidate = match steps.offer(current.as_ref()).await? {
            Offer::Current(version) => return Ok(Accepted::Unchanged(version)),
            Offer::New(candidate) => candidate,
        };
        let version = candidate.version(by);
        if let Some(stored) = steps.write(&version, current.map(|c| c.id)).await? {
            cache.put(stored.clone(), candidate.content, Some(candidate.parsed));
            return Ok(Accepted::Stored(stored));
        }
    }
    Err(AcceptError::Busy)
}

/// The replace rule (POST, and every sync) for `incoming` against the current version:
/// a higher sequence number replaces it, the very same file is current already, and
/// anything else — a lower sequence number (a rollback) or the same one with other
/// bytes — is refused.
pub fn check_replace(
    current: Option<&CatalogVersion>,
    incoming: &CatalogRevision,
) -> Result<ReplaceDecision, CatalogError> {
    let stored = current.map(CatalogRevision::of_version);
    depot_catalog::decide_replace(stored.as_ref(), incoming)
}

/// The offer of `file` replacing the current version, by the replace rule.
pub fn offer_replacement(
    current: Option<&CatalogVersion>,
    file: &CatalogFile,
) -> Result<Offer, CatalogError> {
    match (check_replace(current, &file.revision())?, current) {
        (ReplaceDecision::AlreadyStored, Some(current)) => Ok(Offer::Current(current.clone())),
        _ => Ok(Offer::New(file.replacement())),
    }
}

#[cfg(test)]
mod tests {
    use depot_catalog::testkit::generate_catalog;
    use depot_metadata::CatalogStore as _;
    use depot_model::TaskId;

    use super::*;

    fn file(sequence: u64, patches: usize) -> CatalogFile {
        let bytes = Bytes::from(generate_catalog(sequence, patches));
        let parsed = depot_catalog::parse_catalog(&bytes).expect("valid");
        CatalogFile {
            digest: Sha256Digest::compute(&bytes),
            bytes,
            parsed: Arc::new(parsed),
        }
    }

    fn stored(file: &CatalogFile, id: i64) -> CatalogVersion {
        let by = Acceptor {
            accepted_by: "admin".to_owned(),
            accepted_at: depot_model::now(),
            task_id: TaskId::new(),
        };
        CatalogVersion {
            id,
            ..file.replacement().version(&by)
        }
    }

    #[test]
    fn replacement_rule_against_the_current_version() {
        let first = file(5, 2);
        let Ok(Offer::New(candidate)) = offer_replacement(None, &first) else {
            panic!("nothing current: the file is offered");
        };
        assert_eq!(candidate.content, first.bytes);
        assert_eq!(
            (candidate.content_digest, candidate.file_digest),
            (first.digest, first.digest)
        );
        let current = stored(&first, 1);
        assert!(matches!(
            offer_replacement(Some(&current), &first),
            Ok(Offer::Current(v)) if v == current
        ));
        assert!(matches!(
            offer_replacement(Some(&current), &file(6, 2)),
            Ok(Offer::New(_))
        ));
        assert_eq!(
            offer_replacement(Some(&current), &file(5, 3)).err(),
            Some(CatalogError::SequenceConflict { sequence_number: 5 })
        );
        assert_eq!(
            offer_replacement(Some(&current), &file(4, 2)).err(),
            Some(CatalogError::Rollback {
                stored: 5,
                incoming: 4
            })
        );
    }

    #[test]
    fn the_version_record_describes_the_candidate() {
        let merged = file(7, 3);
        let candidate = Candidate {
            change: CatalogChange::Merge,
            file_digest: Sha256Digest::compute(b"the uploaded patch file"),
            ..merged.replacement()
        };
        let by = Acceptor {
            accepted_by: "operator".to_owned(),
            accepted_at: depot_model::now(),
            task_id: TaskId::new(),
        };
        let v = candidate.version(&by);
        assert_eq!((v.id, v.sequence_number), (0, 7));
        assert_eq!(v.content_digest, merged.digest);
        assert_eq!(v.content_size, merged.bytes.len() as u64);
        assert_eq!(v.file_digest, candidate.file_digest);
        assert_eq!(v.change, CatalogChange::Merge);
        assert_eq!(
            (v.accepted_by, v.accepted_at, v.task_id),
            (by.accepted_by, by.accepted_at, by.task_id)
        );
    }

    /// Writes the version alone; before its first write, another writer makes
    /// `sneak_in` current (as a concurrent upload would).
    struct Steps<'a> {
        store: &'a dyn MetadataStore,
        file: CatalogFile,
        sneak_in: Option<CatalogVersion>,
        offers: usize,
        writes_lost: bool,
    }

    #[async_trait]
    impl Acceptance for Steps<'_> {
        async fn offer(&mut self, current: Option<&CatalogVersion>) -> Result<Offer, AcceptError> {
            self.offers += 1;
            if let Some(other) = self.sneak_in.take() {
                let previous = current.map(|c| c.id);
                self.store.accept_catalog(&other, previous).await?;
            }
            Ok(offer_replacement(current, &self.file)?)
        }

        async fn write(
            &mut self,
            version: &CatalogVersion,
            previous: Option<i64>,
        ) -> Result<Option<CatalogVersion>, AcceptError> {
            if self.writes_lost {
                return Ok(None);
            }
            Ok(self.store.accept_catalog(version, previous).await?)
        }
    }

    async fn store() -> depot_metadata::SqliteStore {
        depot_metadata::SqliteStore::connect("sqlite::memory:")
            .await
            .expect("in-memory store")
    }

    fn acceptor() -> Acceptor {
        Acceptor {
            accepted_by: "admin".to_owned(),
            accepted_at: depot_model::now(),
            task_id: TaskId::new(),
        }
    }

    #[tokio::test]
    async fn a_concurrent_change_is_decided_again_and_the_cache_follows() {
        let store = store().await;
        let cache = CurrentCache::default();
        let newer = file(9, 2);
        let mut steps = Steps {
            store: &store,
            file: newer.clone(),
            sneak_in: Some(stored(&file(8, 2), 0)),
            offers: 0,
            writes_lost: false,
        };
        let by = acceptor();
        let accepted = accept(&store, &cache, &by, &mut steps)
            .await
            .expect("accepted");
        assert_eq!(steps.offers, 2, "decided again after the concurrent change");
        let Accepted::Stored(v) = accepted else {
            panic!("not stored: {accepted:?}");
        };
        assert_eq!((v.id, v.sequence_number), (2, 9));
        assert_eq!((v.file_digest, v.task_id), (newer.digest, by.task_id));
        assert_eq!(store.current_catalog().await.unwrap(), Some(v.clone()));
        assert!(
            cache.parsed(v.id).is_some(),
            "the accepted version is cached"
        );

        // The same file again: nothing is written.
        steps.offers = 0;
        let again = accept(&store, &cache, &acceptor(), &mut steps).await;
        assert_eq!(again.ok(), Some(Accepted::Unchanged(v)));
        assert_eq!(store.catalog_history().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_rollback_is_refused_before_anything_is_written() {
        let store = store().await;
        let cache = CurrentCache::default();
        let mut steps = Steps {
            store: &store,
            file: file(3, 2),
            sneak_in: Some(stored(&file(4, 2), 0)),
            offers: 0,
            writes_lost: false,
        };
        let err = accept(&store, &cache, &acceptor(), &mut steps).await;
        assert!(
            matches!(
                err,
                Err(AcceptError::Refused(CatalogError::Rollback {
                    stored: 4,
                    incoming: 3
                }))
            ),
            "{err:?}"
        );
        assert_eq!(store.catalog_history().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn writes_that_keep_losing_end_busy() {
        let store = store().await;
        let cache = CurrentCache::default();
        let mut steps = Steps {
            store: &store,
            file: file(1, 1),
            sneak_in: None,
            offers: 0,
            writes_lost: true,
        };
        let err = accept(&store, &cache, &acceptor(), &mut steps).await;
        assert!(matches!(err, Err(AcceptError::Busy)), "{err:?}");
        assert_eq!(steps.offers, ATTEMPTS);
        assert_eq!(store.current_catalog().await.unwrap(), None);
    }
}
