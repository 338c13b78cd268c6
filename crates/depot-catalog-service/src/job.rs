//! `pvc_upload`: verify, validate and apply one signed catalog file (replace or merge).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use depot_blobs::{BlobStore, Expected};
use depot_catalog::{CatalogError, ProductVersionCatalog};
use depot_metadata::{MetadataStore, PageRequest, TaskFilter};
use depot_model::{
    CatalogChange, CatalogVersion, ErrorKind, Level, Message, Sha256Digest, TaskStatus, Timestamp,
};
use depot_tasks::{Job, JobContext, JobError};
use serde::{Deserialize, Serialize};

use crate::accept::{
    AcceptError, Acceptance, Accepted, Acceptor, Candidate, CatalogFile, Offer, accept,
    offer_replacement,
};
use crate::current::{SharedCache, load};
use crate::import_path::ImportPath;
use crate::settings::CatalogSettings;

/// Stable job name.
pub const NAME: &str = "pvc_upload";
/// How often a queued upload checks whether its turn has come.
const TURN_POLL: Duration = Duration::from_millis(50);

/// The job's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// `REPLACE` or `MERGE`.
    pub mode: String,
    /// The catalog file (server-local, under the import directory).
    pub catalog_path: String,
    /// Its signature file.
    pub signature_path: String,
}

/// The upload job.
pub struct PvcUpload {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    settings: CatalogSettings,
    cache: SharedCache,
}

impl PvcUpload {
    /// A job over these stores.
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        settings: CatalogSettings,
        cache: SharedCache,
    ) -> Self {
        Self {
            store,
            blobs,
            settings,
            cache,
        }
    }
}

#[async_trait]
impl Job for PvcUpload {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Uploads are short and apply in one transaction: they are not cancellable.
    fn cancellable(&self) -> bool {
        false
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let payload: Payload = ctx.payload()?;
        let change = if payload.mode == "MERGE" {
            CatalogChange::Merge
        } else {
            CatalogChange::Replace
        };
        wait_for_turn(ctx, self.store.as_ref()).await?;

        // Every stage works from the files again: nothing unverified is kept between runs.
        ctx.begin_stage("read").await?;
        let (catalog_bytes, signature) = self.read_files(&payload).await?;
        let catalog_bytes = Bytes::from(catalog_bytes);
        ctx.finish_stage("read").await?;

        ctx.begin_stage("verify-signature").await?;
        let signer = self
            .verify(catalog_bytes.clone(), signature, ctx.now())
            .await?;
        ctx.stage_log(
            "verify-signature",
            Level::Info,
            Message::new(
                "com.vmware.depotd.pvc.signature.verified",
                format!("Signature verified: signed by {signer}"),
            )
            .arg("signer", &signer),
        )
        .await?;
        ctx.finish_stage("verify-signature").await?;

        ctx.begin_stage("validate").await?;
        let catalog = parse(catalog_bytes.clone()).await?;
        ctx.finish_stage("validate").await?;

        ctx.begin_stage("apply").await?;
        let accepted = self.apply(ctx, change, catalog, catalog_bytes).await?;
        ctx.finish_stage("apply").await?;
        Ok(Some(serde_json::json!({
            "sequenceNumber": accepted.sequence_number,
            "version": accepted.id,
            "contentDigest": accepted.content_digest,
        })))
    }
}

impl PvcUpload {
    async fn read_files(&self, p: &Payload) -> Result<(Vec<u8>, Vec<u8>), JobError> {
        let dir = self.settings.import_dir.clone();
        let max = self.settings.max_file_bytes;
        let (catalog_path, signature_path) = (p.catalog_path.clone(), p.signature_path.clone());
        tokio::task::spawn_blocking(move || {
            let catalog = ImportPath::resolve(&dir, &catalog_path, max)?;
            let signature = ImportPath::resolve(&dir, &signature_path, max)?;
            Ok::<_, crate::CatalogServiceError>((catalog.read(max)?, signature.read(max)?))
        })
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| {
            JobError::permanent(
                ErrorKind::Invalid,
                e.code(),
                Message::new("com.vmware.depotd.pvc.path", e.to_string()),
            )
        })
    }

    /// Verifies the signature as of `now`, the engine's time (hashing the whole file:
    /// off the async executor).
    async fn verify(
        &self,
        catalog: Bytes,
        signature: Vec<u8>,
        now: Timestamp,
    ) -> Result<String, JobError> {
        let trust = Arc::clone(&self.settings.trust);
        tokio::task::spawn_blocking(move || {
            depot_catalog::verify_signature(&trust, &catalog, &signature, now)
        })
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map(|v| v.signer)
        .map_err(|e| catalog_failure(&e))
    }

    /// Makes the file current: replacing the stored catalog or merged into it.
    async fn apply(
        &self,
        ctx: &mut JobContext,
        change: CatalogChange,
        incoming: ProductVersionCatalog,
        file_bytes: Bytes,
    ) -> Result<CatalogVersion, JobError> {
        let by = Acceptor::of(ctx);
        let mut steps = UploadSteps {
            job: self,
            ctx,
            change,
            file: CatalogFile {
                digest: Sha256Digest::compute(&file_bytes),
                bytes: file_bytes,
                parsed: Arc::new(incoming),
            },
        };
        let accepted = accept(self.store.as_ref(), &self.cache, &by, &mut steps).await;
        match accepted.map_err(accept_failure)? {
            Accepted::Stored(version) => Ok(version),
            Accepted::Unchanged(version) => {
                let m = Message::new(
                    "com.vmware.depotd.pvc.unchanged",
                    "The identical catalog is already current",
                );
                ctx.log(Level::Info, m).await?;
                Ok(version)
            }
        }
    }

    /// Stores a candidate's content as a blob.
    async fn put(&self, candidate: &Candidate) -> Result<(), JobError> {
        let expected = Expected {
            size: Some(candidate.content.len() as u64),
            sha256: Some(candidate.content_digest),
            ..Expected::default()
        };
        self.blobs
            .put(&mut &candidate.content[..], expected)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        Ok(())
    }

    /// The stored catalog with `incoming` (the file of `file_digest`) merged in, and the
    /// messages saying what changed.
    async fn merged(
        &self,
        current: &CatalogVersion,
        incoming: ProductVersionCatalog,
        file_digest: Sha256Digest,
    ) -> Result<(Candidate, Vec<Message>), JobError> {
        let stored = if let Some(parsed) = self.cache.parsed(current.id) {
            parsed
        } else {
            let bytes = load(self.blobs.as_ref(), current)
                .await
                .map_err(|e| unavailable(&e.to_string()))?;
            Arc::new(parse(bytes).await?)
        };
        let merged = tokio::task::spawn_blocking(move || {
            let mut stored = (*stored).clone();
            depot_catalog::merge_into(&mut stored, incoming).map(|report| {
                let json = stored.to_json();
                (Sha256Digest::compute(&json), json, stored, report)
            })
        })
        .await
        .map_err(|e| internal(&e.to_string()))?;
        let (content_digest, json, catalog, report) = merged.map_err(|e| catalog_failure(&e))?;
        let mut messages = Vec::new();
        for (what, entries) in [
            ("added", &report.added),
            ("replaced", &report.replaced),
            ("skipped", &report.skipped),
        ] {
            for e in entries {
                messages.push(
                    Message::new(
                        format!("com.vmware.depotd.pvc.merge.{what}"),
                        format!("{} {} {what}", e.product_type, e.product_version),
                    )
                    .arg("productType", &e.product_type)
                    .arg("productVersion", &e.product_version),
                );
            }
        }
        let candidate = Candidate {
            content: Bytes::from(json),
            content_digest,
            file_digest,
            change: CatalogChange::Merge,
            parsed: Arc::new(catalog),
        };
        Ok((candidate, messages))
    }
}

/// The upload's steps of an acceptance: the file replaces the current catalog or is
/// merged into it; the version is written alone.
struct UploadSteps<'a> {
    job: &'a PvcUpload,
    ctx: &'a mut JobContext,
    change: CatalogChange,
    file: CatalogFile,
}

#[async_trait]
impl Acceptance for UploadSteps<'_> {
    async fn offer(&mut self, current: Option<&CatalogVersion>) -> Result<Offer, AcceptError> {
        let candidate = match (self.change, current) {
            (CatalogChange::Replace, _) => match offer_replacement(current, &self.file)? {
                Offer::New(candidate) => candidate,
                unchanged @ Offer::Current(_) => return Ok(unchanged),
            },
            (CatalogChange::Merge, None) => {
                return Err(JobError::permanent(
                    ErrorKind::NotAllowedInCurrentState,
                    "PRODUCT_VERSION_CATALOG_NOT_FOUND",
                    Message::new(
                        "com.vmware.depotd.pvc.merge.nothing",
                        "There is no catalog to merge patches into: upload one with POST first",
                    ),
                )
                .into());
            }
            (CatalogChange::Merge, Some(current)) => {
                let incoming = (*self.file.parsed).clone();
                let (candidate, messages) =
                    self.job.merged(current, incoming, self.file.digest).await?;
                self.ctx.log_all(Level::Info, messages).await?;
                candidate
            }
        };
        self.job.put(&candidate).await?;
        Ok(Offer::New(candidate))
    }

    async fn write(
        &mut self,
        version: &CatalogVersion,
        previous: Option<i64>,
    ) -> Result<Option<CatalogVersion>, AcceptError> {
        Ok(self.job.store.accept_catalog(version, previous).await?)
    }
}

/// An acceptance failure as a task failure.
fn accept_failure(e: AcceptError) -> JobError {
    match e {
        AcceptError::Refused(e) => catalog_failure(&e),
        AcceptError::Store(e) => unavailable(&e.to_string()),
        AcceptError::Busy => JobError::retriable(
            ErrorKind::Conflict,
            "PRODUCT_VERSION_CATALOG_BUSY",
            Message::new(
                "com.vmware.depotd.pvc.busy",
                "The catalog kept changing while this upload was applied; retry the task",
            ),
        ),
        AcceptError::Job(e) => e,
    }
}

/// Parses off the async executor; `bytes` is shared, not copied.
async fn parse(bytes: Bytes) -> Result<ProductVersionCatalog, JobError> {
    tokio::task::spawn_blocking(move || depot_catalog::parse_catalog(&bytes))
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| catalog_failure(&e))
}

/// Waits until every older catalog upload has finished: uploads apply one after the
/// other in order of submission, across replicas. Pending tasks that were retried
/// (attempts > 0) are not waited for: they may be queued behind this one.
async fn wait_for_turn(ctx: &mut JobContext, store: &dyn MetadataStore) -> Result<(), JobError> {
    let me = (ctx.task().create_time, ctx.task().id);
    loop {
        let filter = TaskFilter {
            names: vec![NAME.to_owned()],
            statuses: vec![TaskStatus::Pending, TaskStatus::Running],
            include_system: true,
            ..TaskFilter::default()
        };
        let active = store
            .list_tasks(
                &filter,
                PageRequest {
                    number: 1,
                    size: 1000,
                },
            )
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let older = active.items.iter().any(|t| {
            (t.create_time, t.id) < me && (t.status == TaskStatus::Running || t.attempts == 0)
        });
        if !older {
            return Ok(());
        }
        ctx.checkpoint().await?;
        tokio::time::sleep(TURN_POLL).await;
    }
}

/// A catalog error as a task failure: bad input is permanent, the rest retriable.
fn catalog_failure(e: &CatalogError) -> JobError {
    let message = Message::new(
        format!("com.vmware.depotd.pvc.{}", e.code().to_ascii_lowercase()),
        e.to_string(),
    );
    let resolution = Message::new("com.vmware.depotd.pvc.remediation", e.remediation());
    let err = if e.kind() == ErrorKind::Internal || e.kind() == ErrorKind::Unavailable {
        JobError::retriable(e.kind(), e.code(), message)
    } else {
        JobError::permanent(e.kind(), e.code(), message)
    };
    err.with_resolution(resolution)
}

fn unavailable(detail: &str) -> JobError {
    JobError::retriable(
        ErrorKind::Unavailable,
        "PRODUCT_VERSION_CATALOG_STORE_UNAVAILABLE",
        Message::new(
            "com.vmware.depotd.pvc.unavailable",
            format!("The catalog could not be stored: {detail}"),
        ),
    )
}

fn internal(detail: &str) -> JobError {
    JobError::retriable(
        ErrorKind::Internal,
        "INTERNAL_SERVER_ERROR",
        Message::new("com.vmware.depotd.pvc.internal", detail.to_owned()),
    )
}
