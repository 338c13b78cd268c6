//! The catalog service: submit uploads, read the current catalog, list the history.

use std::sync::Arc;

use bytes::Bytes;
use depot_blobs::BlobStore;
use depot_metadata::MetadataStore;
use depot_model::{CatalogVersion, Message, Sha256Digest, Stage, Task, TaskId};
use depot_tasks::{NewTask, TaskEngine};
use tracing::info;

use crate::CatalogServiceError;
use crate::current::{Encoding, SharedCache};
use crate::import_path::ImportPath;
use crate::job::{self, Payload, PvcUpload};
use crate::settings::CatalogSettings;

/// The public description of upload tasks (the SDDC Manager's wording).
pub const UPLOAD_DESCRIPTION: &str =
    "Validate product version catalog file against its signature and persist it";

/// Replace the catalog, or merge patches into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// `POST`: the file replaces the stored catalog.
    Replace,
    /// `PATCH`: the file's patches are merged into the stored catalog.
    Merge,
}

/// Product version catalogs.
pub struct CatalogService {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    settings: CatalogSettings,
    cache: SharedCache,
    tasks: Arc<TaskEngine>,
}

impl CatalogService {
    /// The job the engine must run for this service.
    pub fn job(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        settings: CatalogSettings,
        cache: SharedCache,
    ) -> PvcUpload {
        PvcUpload::new(store, blobs, settings, cache)
    }

    /// A service submitting to `tasks` (which runs [`CatalogService::job`]).
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        settings: CatalogSettings,
        cache: SharedCache,
        tasks: Arc<TaskEngine>,
    ) -> Self {
        Self {
            store,
            blobs,
            settings,
            cache,
            tasks,
        }
    }

    /// Checks both paths now (a bad one is refused at once) and queues the upload.
    pub async fn submit(
        &self,
        mode: UploadMode,
        catalog_path: Option<String>,
        signature_path: Option<String>,
        user: &str,
    ) -> Result<Task, CatalogServiceError> {
        let catalog_path = catalog_path.ok_or(CatalogServiceError::MissingField {
            field: "productVersionCatalogFilePath",
        })?;
        let signature_path = signature_path.ok_or(CatalogServiceError::MissingField {
            field: "signatureFilePath",
        })?;
        let (dir, max) = (
            self.settings.import_dir.clone(),
            self.settings.max_file_bytes,
        );
        let (c, s) = (catalog_path.clone(), signature_path.clone());
        tokio::task::spawn_blocking(move || {
            ImportPath::resolve(&dir, &c, max)?;
            ImportPath::resolve(&dir, &s, max)
        })
        .await
        .map_err(|e| CatalogServiceError::BadPath {
            path: catalog_path.clone(),
            reason: e.to_string(),
        })??;
        let mut task = NewTask::new(
            job::NAME,
            Message::new("com.vmware.depotd.pvc.upload", UPLOAD_DESCRIPTION),
            user,
        );
        let (mode_name, task_type) = match mode {
            UploadMode::Replace => ("REPLACE", "upload"),
            UploadMode::Merge => ("MERGE", "update"),
        };
        task_type.clone_into(&mut task.task_type);
        task.resource = Some((
            "product-version-catalog".to_owned(),
            "PRODUCT_VERSION_CATALOG".to_owned(),
        ));
        task.cancellable = false;
        task.payload = serde_json::to_value(Payload {
            mode: mode_name.to_owned(),
            catalog_path,
            signature_path,
        })
        .unwrap_or_default();
        task.stages = vec![
            Stage::new(
                "read",
                Message::new(
                    "com.vmware.depotd.pvc.read",
                    "Read the catalog and signature files",
                ),
            ),
            Stage::new(
                "verify-signature",
                Message::new("com.vmware.depotd.pvc.verify", "Verify the signature"),
            ),
            Stage::new(
                "validate",
                Message::new("com.vmware.depotd.pvc.validate", "Validate the catalog"),
            ),
            Stage::new(
                "apply",
                Message::new(
                    "com.vmware.depotd.pvc.apply",
                    "Check rollback rules and apply",
                ),
            ),
        ];
        let task = self.tasks.submit(task).await?;
        info!(task_id = %task.id, mode = mode_name, user, "catalog upload submitted");
        Ok(task)
    }

    /// The current catalog as served in `encoding` (each form made once per version).
    /// Returns the bytes and the content's SHA-256.
    pub async fn current(
        &self,
        encoding: Encoding,
    ) -> Result<(Bytes, Sha256Digest), CatalogServiceError> {
        let Some((version, cached)) = self
            .cache
            .get(self.store.as_ref(), self.blobs.as_ref())
            .await?
        else {
            return Err(CatalogServiceError::NoCatalog);
        };
        let bytes = if cached.has(encoding) {
            cached.encoded(encoding)
        } else {
            tokio::task::spawn_blocking(move || cached.encoded(encoding))
                .await
                .map_err(|e| CatalogServiceError::Internal(e.to_string()))?
        };
        Ok((bytes, version.content_digest))
    }

    /// An upload task.
    pub async fn upload_task(&self, id: &str) -> Result<Task, CatalogServiceError> {
        let not_found = || CatalogServiceError::NoSuchUpload(id.to_owned());
        let task_id: TaskId = id.parse().map_err(|_| not_found())?;
        match self.tasks.get(task_id).await {
            Ok(task) if task.name == job::NAME => Ok(task),
            Ok(_) | Err(depot_tasks::EngineError::NotFound(_)) => Err(not_found()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every accepted version, oldest first.
    pub async fn history(&self) -> Result<Vec<CatalogVersion>, CatalogServiceError> {
        Ok(self.store.catalog_history().await?)
    }
}
