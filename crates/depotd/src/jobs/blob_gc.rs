//! `blob_gc`: reclaims blobs no record references.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use depot_blobs::{BlobStore, Sha256Digest};
use depot_metadata::MetadataStore;
use depot_model::{ErrorKind, Level, Message, Stage};
use depot_tasks::{Job, JobContext, JobError, NewTask};

use crate::blob_usage::BlobUsage;

/// Blobs younger than this are kept even when unreferenced: a blob is committed
/// before the record that references it.
pub const GRACE: Duration = Duration::from_hours(1);

/// The garbage-collection job.
pub struct BlobGc {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    /// Where a pass reports the bytes it kept, if anywhere.
    usage: Option<Arc<BlobUsage>>,
}

impl BlobGc {
    /// Stable job name.
    pub const NAME: &'static str = "blob_gc";

    /// A job over these stores.
    pub fn new(store: Arc<dyn MetadataStore>, blobs: Arc<dyn BlobStore>) -> Self {
        Self {
            store,
            blobs,
            usage: None,
        }
    }

    /// Hands each pass's figure of the bytes kept to `usage` (the `depotd_blob_bytes`
    /// gauge), which then need not list the store again for a while.
    #[must_use]
    pub fn reporting_to(mut self, usage: Arc<BlobUsage>) -> Self {
        self.usage = Some(usage);
        self
    }

    /// A system task running one pass (one at a time).
    pub fn task(created_by: &str) -> NewTask {
        let mut t = NewTask::new(
            Self::NAME,
            Message::new("com.vmware.depotd.blob.gc", "Reclaim unreferenced blobs"),
            created_by,
        );
        "cleanup".clone_into(&mut t.task_type);
        t.system = true;
        t.concurrency_key = Some(Self::NAME.to_owned());
        t.payload = serde_json::json!({"graceSeconds": GRACE.as_secs()});
        t.stages = vec![
            Stage::new(
                "scan-references",
                Message::new("com.vmware.depotd.blob.gc.scan", "Read blob references"),
            ),
            Stage::new(
                "collect",
                Message::new(
                    "com.vmware.depotd.blob.gc.collect",
                    "Remove unreferenced blobs",
                ),
            ),
        ];
        t
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    grace_seconds: u64,
}

#[async_trait]
impl Job for BlobGc {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let payload: Payload = ctx.payload()?;
        // The reference snapshot is always re-read: it must be taken before collecting.
        ctx.begin_stage("scan-references").await?;
        let referenced: HashSet<Sha256Digest> = self
            .store
            .blob_references()
            .await
            .map_err(|e| unavailable(&e.to_string()))?
            .into_iter()
            .collect();
        ctx.stage_log(
            "scan-references",
            Level::Info,
            Message::new(
                "com.vmware.depotd.blob.gc.referenced",
                format!("{} blobs are referenced", referenced.len()),
            )
            .arg("count", referenced.len()),
        )
        .await?;
        ctx.finish_stage("scan-references").await?;
        ctx.begin_stage("collect").await?;
        let is_referenced = |d: &Sha256Digest| referenced.contains(d);
        let started = SystemTime::now();
        let report = self
            .blobs
            .collect_garbage(&is_referenced, Duration::from_secs(payload.grace_seconds))
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        if let Some(usage) = &self.usage {
            usage.record_gc(report.bytes_kept, started);
        }
        ctx.finish_stage("collect").await?;
        Ok(Some(serde_json::json!({
            "removed": report.removed,
            "bytesFreed": report.bytes_freed,
            "kept": report.kept,
            "bytesKept": report.bytes_kept,
        })))
    }
}

fn unavailable(detail: &str) -> JobError {
    JobError::retriable(
        ErrorKind::Unavailable,
        "BLOB_GC_FAILED",
        Message::new(
            "com.vmware.depotd.blob.gc.failed",
            format!("Blob garbage collection failed: {detail}"),
        )
        .arg("detail", detail),
    )
}
