//! `depot_metadata_sync`: fetch the catalog (PVC), its signature, the release manifest
//! (URM) and the compatibility data from the depot, check them, and make them current
//! together — or change nothing.
//!
//! Stages: connect, download-pvc, verify-pvc, download-urm, validate-urm, apply. What a
//! finished stage fetched is kept in the task's payload, so `retry` resumes at the failed
//! stage; a retried check stage first asks the depot again (conditionally), so a fixed
//! depot is picked up.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use depot_blobs::Sha256Digest;
use depot_catalog::{CatalogError, CatalogRevision, ProductVersionCatalog, ReplaceDecision};
use depot_metadata::{DepotSyncApplied, DepotSyncApply};
use depot_model::{
    CatalogChange, CatalogVersion, DepotFile, ErrorKind, Level, Message, SyncOutcome, SyncRecord,
};
use depot_tasks::{Job, JobContext, JobError};
use depot_upstream::{
    Conditional, ConnectionCode, ConnectionStatus, DepotClient, DepotPath, FetchOutcome,
    FetchRequest, UpstreamError,
};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::SyncError;
use crate::manifest::parse_manifest;
use crate::shared::SyncParts;

/// Stable job name (also the fleet-lcm task `name`).
pub const NAME: &str = "depot_metadata_sync";
/// The concurrency key every sync holds: one at a time, across replicas.
pub const CONCURRENCY_KEY: &str = "depot-metadata-sync";
/// Attempts to apply when a catalog upload changes the current catalog meanwhile.
const APPLY_ATTEMPTS: usize = 5;

/// The stage ids, in order.
pub const STAGES: [(&str, &str, &str); 6] = [
    (
        "connect",
        "com.vmware.depotd.depot.connect",
        "Connect to the depot",
    ),
    (
        "download-pvc",
        "com.vmware.depotd.depot.pvc.download",
        "Download Product Version Catalog",
    ),
    (
        "verify-pvc",
        "com.vmware.depotd.depot.pvc.verify",
        "Verify Product Version Catalog",
    ),
    (
        "download-urm",
        "com.vmware.depotd.depot.urm.download",
        "Download Unified Release Manifest",
    ),
    (
        "validate-urm",
        "com.vmware.depotd.depot.urm.validate",
        "Validate Unified Release Manifest",
    ),
    (
        "apply",
        "com.vmware.depotd.depot.apply",
        "Apply the synced metadata",
    ),
];

/// A file fetched by this task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FetchedFile {
    digest: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    /// The content differs from the synced copy (or there was none).
    changed: bool,
}

/// The task's state: what the finished stages fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Payload {
    /// `manual` or `scheduled`.
    #[serde(default)]
    pub(crate) trigger: String,
    /// Fetched files by depot path.
    #[serde(default)]
    pub(crate) files: BTreeMap<String, FetchedFile>,
}

/// The sync job.
pub struct DepotSync {
    parts: Arc<SyncParts>,
}

impl DepotSync {
    /// A job over `parts`.
    pub fn new(parts: Arc<SyncParts>) -> Self {
        Self { parts }
    }
}

#[async_trait]
impl Job for DepotSync {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let outcome = Run {
            parts: &self.parts,
            payload: ctx.payload()?,
            parsed_catalog: None,
            settings_version: None,
        }
        .stages(ctx)
        .await;
        match &outcome {
            Ok(_) | Err(JobError::Interrupted | JobError::Lost) => {}
            Err(e) => self.record_failure(ctx, e).await,
        }
        outcome
    }
}

impl DepotSync {
    /// Remembers why the sync failed, for `depot-sync-info`.
    async fn record_failure(&self, ctx: &JobContext, e: &JobError) {
        let message = match e {
            JobError::Canceled => "The depot metadata sync was canceled".to_owned(),
            other => other.to_string(),
        };
        let last_success_at = match self.parts.store.sync_record().await {
            Ok(r) => r.and_then(|r| r.last_success_at),
            Err(_) => None,
        };
        let record = SyncRecord {
            task_id: ctx.task().id,
            outcome: SyncOutcome::Failed,
            error_message: Some(message),
            completed_at: depot_model::now(),
            last_success_at,
        };
        if let Err(err) = self.parts.store.put_sync_record(&record).await {
            warn!(error = %err, "cannot record the failed depot sync");
        }
    }
}

/// One run of the job.
struct Run<'a> {
    parts: &'a SyncParts,
    payload: Payload,
    /// The catalog parsed by the verify stage of this run.
    parsed_catalog: Option<Arc<ProductVersionCatalog>>,
    /// The version of the settings this run uses.
    settings_version: Option<depot_model::Timestamp>,
}

impl Run<'_> {
    async fn stages(mut self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        // Settings problems fail the connect stage, like an unreachable depot does.
        let connect = ctx.begin_stage("connect").await?;
        let client = self.client().await?;
        let synced: BTreeMap<String, DepotFile> = self
            .parts
            .store
            .depot_files()
            .await
            .map_err(|e| unavailable(&e.to_string()))?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        if connect {
            self.connect(ctx, &client).await?;
        }
        self.catalog_stages(ctx, &client, &synced).await?;
        self.manifest_stages(ctx, &client, &synced).await?;
        ctx.begin_stage("apply").await?;
        let accepted = self.apply(ctx, &synced).await?;
        ctx.finish_stage("apply").await?;
        let changed: Vec<&str> = self
            .payload
            .files
            .iter()
            .filter(|(_, f)| f.changed)
            .map(|(p, _)| p.as_str())
            .collect();
        let summary = if changed.is_empty() {
            "Depot metadata is up to date: nothing changed".to_owned()
        } else {
            format!("Depot metadata synced: {} files changed", changed.len())
        };
        ctx.log(
            Level::Info,
            Message::new("com.vmware.depotd.depot.sync.done", summary)
                .arg("changedFiles", changed.len()),
        )
        .await?;
        Ok(Some(serde_json::json!({
            "type": "sync",
            "changedFiles": changed,
            "catalogVersion": accepted.as_ref().map(|c| c.id),
            "catalogSequenceNumber": accepted.as_ref().map(|c| c.sequence_number),
        })))
    }

    /// `connect` (begun by the caller): one request to the depot, whose outcome the
    /// settings show.
    async fn connect(&self, ctx: &mut JobContext, client: &DepotClient) -> Result<(), JobError> {
        let status = client.test_connection().await;
        self.note(&status).await;
        if status.code != ConnectionCode::Successful {
            return Err(connection_failure(&status));
        }
        ctx.stage_log(
            "connect",
            Level::Info,
            Message::new("com.vmware.depotd.depot.connected", status.message),
        )
        .await?;
        ctx.finish_stage("connect").await
    }

    /// `download-pvc` and `verify-pvc`.
    async fn catalog_stages(
        &mut self,
        ctx: &mut JobContext,
        client: &DepotClient,
        synced: &BTreeMap<String, DepotFile>,
    ) -> Result<(), JobError> {
        let paths = &self.parts.config.paths;
        let pvc_files = [paths.catalog.clone(), paths.catalog_signature.clone()];
        if ctx.begin_stage("download-pvc").await? {
            self.fetch(ctx, client, synced, "download-pvc", &pvc_files, false)
                .await?;
            ctx.finish_stage("download-pvc").await?;
        }
        if !ctx.begin_stage("verify-pvc").await? {
            return Ok(());
        }
        if ctx.task().attempts > 1 {
            self.fetch(ctx, client, synced, "verify-pvc", &pvc_files, false)
                .await?;
        }
        let message = if self.unchanged(&pvc_files) {
            Message::new(
                "com.vmware.depotd.depot.pvc.unchanged",
                "The catalog and its signature are unchanged since the last sync",
            )
        } else {
            let signer = self.verify_catalog().await?;
            self.check_rollback().await?;
            let sequence = self
                .parsed_catalog
                .as_ref()
                .map_or(0, |c| c.sequence_number());
            Message::new(
                "com.vmware.depotd.depot.pvc.verified",
                format!("PVC sequence {sequence} verified: signed by {signer}"),
            )
            .arg("sequenceNumber", sequence)
            .arg("signer", &signer)
        };
        ctx.stage_log("verify-pvc", Level::Info, message).await?;
        ctx.finish_stage("verify-pvc").await
    }

    /// `download-urm` (with the compatibility data) and `validate-urm`.
    async fn manifest_stages(
        &mut self,
        ctx: &mut JobContext,
        client: &DepotClient,
        synced: &BTreeMap<String, DepotFile>,
    ) -> Result<(), JobError> {
        let paths = self.parts.config.paths.clone();
        let manifest = [paths.manifest.clone()];
        if ctx.begin_stage("download-urm").await? {
            self.fetch(ctx, client, synced, "download-urm", &manifest, false)
                .await?;
            self.fetch(
                ctx,
                client,
                synced,
                "download-urm",
                &paths.compatibility,
                true,
            )
            .await?;
            ctx.finish_stage("download-urm").await?;
        }
        if !ctx.begin_stage("validate-urm").await? {
            return Ok(());
        }
        if ctx.task().attempts > 1 {
            self.fetch(ctx, client, synced, "validate-urm", &manifest, false)
                .await?;
        }
        let file = self.file(&paths.manifest)?.clone();
        let bytes = self
            .parts
            .read_blob(&file.digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let parsed = tokio::task::spawn_blocking(move || parse_manifest(&bytes))
            .await
            .map_err(|e| internal(&e.to_string()))?
            .map_err(|e| {
                failure(
                    ErrorKind::Invalid,
                    "DEPOT_MANIFEST_INVALID",
                    "com.vmware.depotd.depot.urm.invalid",
                    e.to_string(),
                    "Fix or republish the release manifest on the depot, then retry",
                )
            })?;
        let m = Message::new(
            "com.vmware.depotd.depot.urm.validated",
            format!(
                "Release manifest with {} releases validated",
                parsed.releases.len()
            ),
        )
        .arg("releases", parsed.releases.len());
        ctx.stage_log("validate-urm", Level::Info, m).await?;
        ctx.finish_stage("validate-urm").await
    }

    /// The upstream client for the stored settings.
    async fn client(&mut self) -> Result<DepotClient, JobError> {
        let settings_error = |e: &SyncError| {
            failure(
                e.kind(),
                e.code(),
                "com.vmware.depotd.depot.settings",
                e.to_string(),
                "Set the depot with PUT /v1/system/settings/depot",
            )
        };
        let (doc, version) = self
            .parts
            .versioned_document()
            .await
            .map_err(|e| settings_error(&e))?
            .ok_or_else(|| settings_error(&SyncError::NotConfigured))?;
        self.settings_version = Some(version);
        let settings = doc
            .client_settings(&self.parts.config, &self.parts.sealer)
            .map_err(|e| settings_error(&e))?;
        DepotClient::new(&settings).map_err(|e| upstream_failure(&e))
    }

    /// Records the connection status on the settings.
    async fn note(&self, status: &ConnectionStatus) {
        let Some(version) = self.settings_version else {
            return;
        };
        if let Err(e) = self
            .parts
            .note_status(status.code.as_str(), &status.message, version)
            .await
        {
            warn!(error = %e, "cannot record the depot connection status");
        }
    }

    /// Fetches `paths` (conditionally on what this task or the last sync has) into the
    /// blob store and records them in the payload. `optional`: a file the depot does not
    /// have is skipped with a warning.
    async fn fetch(
        &mut self,
        ctx: &mut JobContext,
        client: &DepotClient,
        synced: &BTreeMap<String, DepotFile>,
        stage: &str,
        paths: &[String],
        optional: bool,
    ) -> Result<(), JobError> {
        for path in paths {
            let depot_path = DepotPath::parse(path).map_err(|e| upstream_failure(&e))?;
            let conditional = match (self.payload.files.get(path), synced.get(path)) {
                (Some(f), _) => Conditional {
                    etag: f.etag.clone(),
                    last_modified: f.last_modified.clone(),
                    known_sha256: f.digest.parse().ok(),
                },
                (None, Some(f)) => Conditional {
                    etag: f.upstream_etag.clone(),
                    last_modified: f.upstream_last_modified.clone(),
                    known_sha256: f.digest.parse().ok(),
                },
                (None, None) => Conditional::default(),
            };
            let request = FetchRequest {
                conditional,
                max_size: Some(self.parts.config.max_file_bytes),
                expected_sha256: None,
            };
            let outcome = match client
                .fetch(self.parts.blobs.as_ref(), &depot_path, &request)
                .await
            {
                Ok(outcome) => outcome,
                Err(UpstreamError::FileNotFound { url, status }) if optional => {
                    self.payload.files.remove(path);
                    let m = Message::new(
                        "com.vmware.depotd.depot.file.absent",
                        format!("The depot has no {url} (HTTP {status}); skipped"),
                    )
                    .arg("path", path);
                    ctx.stage_log(stage, Level::Warn, m).await?;
                    continue;
                }
                Err(e) => {
                    if let Some(status) = connection_status(&e) {
                        self.note(&status).await;
                    }
                    return Err(upstream_failure(&e));
                }
            };
            let previous_digest = synced.get(path).map(|f| f.digest.as_str());
            let fetched = match outcome {
                FetchOutcome::NotModified(validators) => {
                    // The copy this task or the last sync has is still current.
                    let known = self
                        .payload
                        .files
                        .get(path)
                        .map(|f| (f.digest.clone(), f.size))
                        .or_else(|| synced.get(path).map(|f| (f.digest.clone(), f.size)))
                        .ok_or_else(|| internal("HTTP 304 without a stored copy"))?;
                    FetchedFile {
                        changed: previous_digest != Some(known.0.as_str()),
                        digest: known.0,
                        size: known.1,
                        etag: validators.etag,
                        last_modified: validators.last_modified,
                    }
                }
                FetchOutcome::Fetched(f) => {
                    let digest = f.blob.digest.to_string();
                    FetchedFile {
                        changed: previous_digest != Some(digest.as_str()),
                        digest,
                        size: f.blob.size,
                        etag: f.validators.etag,
                        last_modified: f.validators.last_modified,
                    }
                }
            };
            let what = if fetched.changed {
                format!("Downloaded {path} ({} bytes)", fetched.size)
            } else {
                format!("{path} is unchanged")
            };
            let m = Message::new("com.vmware.depotd.depot.file.fetched", what)
                .arg("path", path)
                .arg("changed", fetched.changed);
            self.payload.files.insert(path.clone(), fetched);
            ctx.stage_log(stage, Level::Info, m).await?;
        }
        ctx.set_payload(&self.payload).await
    }

    /// Whether every one of `paths` was fetched unchanged.
    fn unchanged(&self, paths: &[String]) -> bool {
        paths
            .iter()
            .all(|p| self.payload.files.get(p).is_some_and(|f| !f.changed))
    }

    fn file(&self, path: &str) -> Result<&FetchedFile, JobError> {
        self.payload
            .files
            .get(path)
            .ok_or_else(|| internal(&format!("{path} was not fetched by an earlier stage")))
    }

    /// Verifies the fetched catalog's signature and parses it; returns the signer.
    async fn verify_catalog(&mut self) -> Result<String, JobError> {
        let paths = &self.parts.config.paths;
        let catalog = self
            .parts
            .read_blob(&self.file(&paths.catalog)?.digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let signature = self
            .parts
            .read_blob(&self.file(&paths.catalog_signature)?.digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let trust = Arc::clone(&self.parts.trust);
        let (signer, parsed) = tokio::task::spawn_blocking(move || {
            let verified =
                depot_catalog::verify_signature(&trust, &catalog, &signature, depot_model::now())?;
            let parsed = depot_catalog::parse_catalog(&catalog)?;
            Ok::<_, CatalogError>((verified.signer, parsed))
        })
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| catalog_failure(&e))?;
        self.parsed_catalog = Some(Arc::new(parsed));
        Ok(signer)
    }

    /// Refuses a verified catalog that would roll the current one back (or conflict with
    /// it), here rather than at apply: a retry of this stage fetches the depot's fixed
    /// catalog first.
    async fn check_rollback(&self) -> Result<(), JobError> {
        let Some(parsed) = &self.parsed_catalog else {
            return Ok(());
        };
        let file = self.file(&self.parts.config.paths.catalog)?;
        let sha256 = file
            .digest
            .parse()
            .map_err(|_| internal("a fetched digest is corrupt"))?;
        let incoming = CatalogRevision {
            sequence_number: parsed.sequence_number(),
            sha256,
        };
        let current = self
            .parts
            .store
            .current_catalog()
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let stored = stored_revision(current.as_ref())?;
        depot_catalog::decide_replace(stored.as_ref(), &incoming)
            .map(|_| ())
            .map_err(|e| catalog_failure(&e))
    }

    /// Makes the fetched set current, with the catalog when it changed.
    async fn apply(
        &mut self,
        ctx: &mut JobContext,
        synced: &BTreeMap<String, DepotFile>,
    ) -> Result<Option<CatalogVersion>, JobError> {
        let catalog_path = self.parts.config.paths.catalog.clone();
        let catalog_changed = self.file(&catalog_path)?.changed;
        let now = depot_model::now();
        let files: Vec<DepotFile> = self
            .payload
            .files
            .iter()
            .map(|(path, f)| DepotFile {
                path: path.clone(),
                digest: f.digest.clone(),
                size: f.size,
                modified_at: match synced.get(path) {
                    Some(s) if !f.changed => s.modified_at,
                    _ => now,
                },
                upstream_etag: f.etag.clone(),
                upstream_last_modified: f.last_modified.clone(),
            })
            .collect();
        let task_id = ctx.task().id;
        let record = |last_success| SyncRecord {
            task_id,
            outcome: SyncOutcome::Succeeded,
            error_message: None,
            completed_at: depot_model::now(),
            last_success_at: Some(last_success),
        };
        for _ in 0..APPLY_ATTEMPTS {
            let candidate = if catalog_changed {
                self.catalog_candidate(ctx).await?
            } else {
                None
            };
            let apply = DepotSyncApply {
                catalog: candidate
                    .as_ref()
                    .map(|(v, previous, _, _)| (v.clone(), *previous)),
                files: files.clone(),
                record: record(depot_model::now()),
            };
            match self
                .parts
                .store
                .apply_depot_sync(&apply)
                .await
                .map_err(|e| unavailable(&e.to_string()))?
            {
                DepotSyncApplied::Applied(accepted) => {
                    if let (Some(stored), Some((_, _, bytes, parsed))) = (&accepted, candidate) {
                        self.parts
                            .catalog_cache
                            .put(stored.clone(), bytes, Some(parsed));
                        let m = Message::new(
                            "com.vmware.depotd.depot.pvc.applied",
                            format!("Catalog sequence {} is now current", stored.sequence_number),
                        )
                        .arg("sequenceNumber", stored.sequence_number);
                        ctx.stage_log("apply", Level::Info, m).await?;
                    }
                    info!(
                        changed = self.payload.files.values().filter(|f| f.changed).count(),
                        "depot metadata applied"
                    );
                    return Ok(accepted);
                }
                DepotSyncApplied::CatalogChanged => {}
            }
        }
        Err(JobError::retriable(
            ErrorKind::Conflict,
            "DEPOT_METADATA_BUSY",
            Message::new(
                "com.vmware.depotd.depot.busy",
                "The catalog kept changing while the sync applied; retry the task",
            ),
        ))
    }

    /// The catalog version to accept with this sync: `None` when the identical file is
    /// current already. Refuses a rollback.
    async fn catalog_candidate(
        &mut self,
        ctx: &mut JobContext,
    ) -> Result<
        Option<(
            CatalogVersion,
            Option<i64>,
            Bytes,
            Arc<ProductVersionCatalog>,
        )>,
        JobError,
    > {
        let file = self.file(&self.parts.config.paths.catalog)?.clone();
        let bytes = self
            .parts
            .read_blob(&file.digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let parsed = if let Some(p) = &self.parsed_catalog {
            Arc::clone(p)
        } else {
            let b = bytes.clone();
            let parsed = tokio::task::spawn_blocking(move || depot_catalog::parse_catalog(&b))
                .await
                .map_err(|e| internal(&e.to_string()))?
                .map_err(|e| catalog_failure(&e))?;
            let parsed = Arc::new(parsed);
            self.parsed_catalog = Some(Arc::clone(&parsed));
            parsed
        };
        let current = self
            .parts
            .store
            .current_catalog()
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let stored = stored_revision(current.as_ref())?;
        let incoming = CatalogRevision::of(&parsed, &bytes);
        match depot_catalog::decide_replace(stored.as_ref(), &incoming) {
            Ok(ReplaceDecision::Apply) => {}
            Ok(ReplaceDecision::AlreadyStored) => {
                let m = Message::new(
                    "com.vmware.depotd.pvc.unchanged",
                    "The identical catalog is already current",
                );
                ctx.stage_log("apply", Level::Info, m).await?;
                return Ok(None);
            }
            Err(e) => return Err(catalog_failure(&e)),
        }
        let digest: Sha256Digest = file
            .digest
            .parse()
            .map_err(|_| internal("a fetched digest is corrupt"))?;
        let version = CatalogVersion {
            id: 0,
            sequence_number: i64::try_from(parsed.sequence_number()).unwrap_or(i64::MAX),
            content_digest: digest.to_string(),
            content_size: file.size,
            file_digest: digest.to_string(),
            change: CatalogChange::Replace,
            accepted_by: ctx.task().created_by.clone(),
            accepted_at: depot_model::now(),
            task_id: ctx.task().id,
        };
        Ok(Some((version, current.map(|c| c.id), bytes, parsed)))
    }
}

/// The revision of the current catalog, for the replace rules.
fn stored_revision(current: Option<&CatalogVersion>) -> Result<Option<CatalogRevision>, JobError> {
    current
        .map(|c| {
            c.file_digest
                .parse()
                .map(|sha256| CatalogRevision {
                    sequence_number: u64::try_from(c.sequence_number).unwrap_or(0),
                    sha256,
                })
                .map_err(|_| internal("the stored catalog's file digest is corrupt"))
        })
        .transpose()
}

/// The status a failed request gives the depot settings, for failures that say something
/// about the connection (not a missing file or bad content).
fn connection_status(e: &UpstreamError) -> Option<ConnectionStatus> {
    let status = ConnectionStatus::from_error(e);
    match e {
        UpstreamError::FileNotFound { .. }
        | UpstreamError::TooLarge { .. }
        | UpstreamError::DigestMismatch { .. }
        | UpstreamError::Store { .. } => None,
        _ => Some(status),
    }
}

/// A failed connection check as a task failure.
fn connection_failure(status: &ConnectionStatus) -> JobError {
    failure(
        ErrorKind::Unavailable,
        status.code.as_str(),
        &format!(
            "com.vmware.depotd.depot.{}",
            status.code.as_str().to_ascii_lowercase()
        ),
        status.message.clone(),
        "Check the depot settings (URL, credentials, trusted certificates) and that the depot is reachable, then retry",
    )
}

/// An upstream error as a task failure.
fn upstream_failure(e: &UpstreamError) -> JobError {
    failure(
        e.kind(),
        e.code(),
        &format!("com.vmware.depotd.depot.{}", e.code().to_ascii_lowercase()),
        e.to_string(),
        e.remediation(),
    )
}

/// A catalog error as a task failure.
fn catalog_failure(e: &CatalogError) -> JobError {
    failure(
        e.kind(),
        e.code(),
        &format!("com.vmware.depotd.pvc.{}", e.code().to_ascii_lowercase()),
        format!("The depot's product version catalog was refused: {e}"),
        "Have the depot publish a correctly signed catalog with a higher sequence number than the current one, then retry",
    )
}

/// A sync failure: every one is retriable — once the depot or the settings are fixed,
/// `retry` resumes from the failed stage.
fn failure(kind: ErrorKind, code: &str, id: &str, message: String, resolution: &str) -> JobError {
    JobError::retriable(kind, code, Message::new(id, message))
        .with_resolution(Message::new(format!("{id}.resolution"), resolution))
}

fn unavailable(detail: &str) -> JobError {
    failure(
        ErrorKind::Unavailable,
        "DEPOT_METADATA_STORE_UNAVAILABLE",
        "com.vmware.depotd.depot.store.unavailable",
        format!("The synced metadata could not be stored: {detail}"),
        "Check the database and the blob store, then retry",
    )
}

fn internal(detail: &str) -> JobError {
    failure(
        ErrorKind::Internal,
        "INTERNAL_SERVER_ERROR",
        "com.vmware.depotd.depot.internal",
        detail.to_owned(),
        "Retry; report the problem if it persists",
    )
}
