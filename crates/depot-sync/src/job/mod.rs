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
use depot_blobs::Sha256Digest;
use depot_catalog::CatalogError;
use depot_catalog_service::CatalogFile;
use depot_metadata::{DepotSyncApplied, DepotSyncApply};
use depot_model::{CatalogVersion, DepotFile, ErrorKind, Level, Message, SyncOutcome, SyncRecord};
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

mod apply;
mod catalog;
mod connect;
mod failure;
mod fetch;
mod manifest;

use self::failure::{
    catalog_failure, connection_failure, connection_status, failure, internal, unavailable,
    upstream_failure,
};

/// Stable job name (also the fleet-lcm task `name`).
pub const NAME: &str = "depot_metadata_sync";
/// The concurrency key every sync holds: one at a time, across replicas.
pub const CONCURRENCY_KEY: &str = "depot-metadata-sync";

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
    digest: Sha256Digest,
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
            catalog: None,
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
            completed_at: ctx.now(),
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
    /// The catalog file verified and parsed by this run.
    catalog: Option<CatalogFile>,
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
}
