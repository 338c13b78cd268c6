#![doc = include_str!("../README.md")]

mod bundle_file;
mod create;
mod delete;
mod error;
mod import_job;
mod in_use;
mod location;
mod progress;
mod record;

use std::path::PathBuf;
use std::sync::Arc;

use depot_blobs::BlobStore;
use depot_esx::{DepotContent, Limits};
use depot_metadata::MetadataStore;
use depot_model::{Clock, OfflineDepot, OfflineDepotId};
use depot_secrets::SecretBox;
use depot_tasks::Job;
use depot_uploads::Uploads;
use depot_upstream::{RetryPolicy, Timeouts};

pub use create::{AuthHeader, CreateRequest, SourceKind};
pub use delete::{DELETE_JOB, DeleteRequest};
pub use error::EsxDepotError;
pub use import_job::{IMPORT_JOB, ImportJob};
pub use in_use::{InUse, UseGuard};
pub use location::PullLocation;

/// The vAPI service whose operations these tasks are.
pub const SERVICE: &str = "com.vmware.esx.settings.depots.offline";

/// How imports work and what they accept.
#[derive(Debug, Clone)]
pub struct EsxDepotSettings {
    /// Where `file:` locations may point (`None`: `file:` is refused).
    pub import_dir: Option<PathBuf>,
    /// The largest bundle a `PULL` downloads, in bytes.
    pub max_bundle_bytes: u64,
    /// The parser's limits.
    pub limits: Limits,
    /// Timeouts of `PULL` downloads.
    pub timeouts: Timeouts,
    /// Retries of `PULL` downloads.
    pub retry: RetryPolicy,
}

impl Default for EsxDepotSettings {
    fn default() -> Self {
        Self {
            import_dir: None,
            max_bundle_bytes: 16 << 30,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// The offline depots service. Cheap to clone.
#[derive(Clone)]
pub struct EsxDepots {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    uploads: Uploads,
    sealer: Arc<SecretBox>,
    clock: Arc<dyn Clock>,
    settings: EsxDepotSettings,
    in_use: InUse,
}

impl EsxDepots {
    /// The service over the server's stores.
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        uploads: Uploads,
        sealer: Arc<SecretBox>,
        clock: Arc<dyn Clock>,
        settings: EsxDepotSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                blobs,
                uploads,
                sealer,
                clock,
                settings,
                in_use: InUse::default(),
            }),
        }
    }

    /// The jobs that run this service's tasks.
    pub fn jobs(&self) -> Vec<Arc<dyn Job>> {
        vec![
            Arc::new(ImportJob::new(self.clone())),
            Arc::new(delete::DeleteJob::new(self.clone())),
        ]
    }

    /// The use counts the file server holds guards of.
    pub fn in_use(&self) -> &InUse {
        &self.inner.in_use
    }

    /// Every depot, by create time.
    pub async fn list(&self) -> Result<Vec<OfflineDepot>, EsxDepotError> {
        Ok(self.inner.store.list_offline_depots().await?)
    }

    /// The depot `id` (any string: one that is no depot id is `NotFound`).
    pub async fn get(&self, id: &str) -> Result<OfflineDepot, EsxDepotError> {
        let parsed = depot_id(id)?;
        self.inner
            .store
            .get_offline_depot(parsed)
            .await?
            .ok_or_else(|| EsxDepotError::NotFound(id.to_owned()))
    }

    /// The `content` view of depot `id`: one row read.
    pub async fn content(&self, id: &str) -> Result<serde_json::Value, EsxDepotError> {
        let parsed = depot_id(id)?;
        let text = self
            .inner
            .store
            .offline_depot_content(parsed)
            .await?
            .ok_or_else(|| EsxDepotError::NotFound(id.to_owned()))?;
        serde_json::from_str(&text)
            .map_err(|e| EsxDepotError::Internal(format!("stored content of {id}: {e}")))
    }

    /// Removes depot `id`'s record, its file tree and its blob references (the
    /// deprecated synchronous `delete`: no in-use check).
    pub async fn delete_record(&self, id: &str) -> Result<(), EsxDepotError> {
        let parsed = depot_id(id)?;
        if self.inner.store.delete_offline_depot(parsed).await? {
            tracing::info!(depot = %parsed, "offline depot deleted");
            Ok(())
        } else {
            Err(EsxDepotError::NotFound(id.to_owned()))
        }
    }
}

/// `id` as a depot id; anything else names no depot.
fn depot_id(id: &str) -> Result<OfflineDepotId, EsxDepotError> {
    id.parse()
        .map_err(|_| EsxDepotError::NotFound(id.to_owned()))
}

/// The `content` view serialized as stored.
fn content_json(content: &DepotContent) -> Result<String, EsxDepotError> {
    serde_json::to_string(content).map_err(|e| EsxDepotError::Internal(e.to_string()))
}
