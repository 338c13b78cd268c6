//! The import task (`create$task`): the bundle as a file, parsed and staged, checked
//! against the stored identities, recorded, committed.

use std::sync::Arc;

use async_trait::async_trait;
use depot_esx::{ImportProgress, ImportedDepot, import_bundle};
use depot_metadata::OfflineDepotInsert;
use depot_model::{
    DomainError as _, ErrorKind, FileId, Level, Message, OfflineDepot, OfflineDepotId,
    OfflineDepotSource, UserName, uploaded_file,
};
use depot_tasks::{Job, JobContext, JobError};
use depot_upstream::DownloadProgress;
use tokio::sync::watch;

use crate::bundle_file::{BundleFile, local_bundle};
use crate::create::{ImportRequest, ImportSource};
use crate::location::PullLocation;
use crate::progress::{Span, watched};
use crate::record::file_tree;
use crate::{EsxDepotError, EsxDepots, content_json};

/// The import job's stable name.
pub const IMPORT_JOB: &str = "esx_offline_depot_import";

/// The job that imports offline depots.
pub struct ImportJob {
    depots: EsxDepots,
}

impl ImportJob {
    /// The job over `depots`.
    pub fn new(depots: EsxDepots) -> Self {
        Self { depots }
    }
}

/// A service error as the task's failure (with its `data`): retriable when something
/// depended on is unavailable for now (the blob store, the metadata store, the server
/// a bundle is pulled from), which shows as the standard `SERVICE_UNAVAILABLE`;
/// permanent otherwise.
pub(crate) fn job_error(e: &EsxDepotError) -> JobError {
    if e.is_internal() {
        tracing::error!(error = %e, "offline depot task failed");
    }
    let failed = if e.kind() == ErrorKind::Unavailable {
        tracing::warn!(error = %e, "offline depot task failed for now");
        JobError::retriable(e.kind(), e.code(), e.message())
    } else {
        JobError::permanent(e.kind(), e.code(), e.message())
    };
    match e.data() {
        Some(data) => failed.with_data(data),
        None => failed,
    }
}

#[async_trait]
impl Job for ImportJob {
    fn name(&self) -> &'static str {
        IMPORT_JOB
    }

    /// A re-run after a crash would find the upload or the download in another
    /// state: the task fails instead, and the user creates again.
    fn idempotent(&self) -> bool {
        false
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: ImportRequest = ctx.payload()?;
        let (bundle, push) = self.bundle(ctx, &request.source).await?;
        let span = if bundle.downloaded {
            Span::AFTER_DOWNLOAD
        } else {
            Span::ALL
        };
        let progress = ImportProgress::new();
        let blobs = Arc::clone(&self.depots.inner.blobs);
        let limits = self.depots.inner.settings.limits;
        let reading = progress.clone();
        let import = async move { import_bundle(bundle.file, blobs, limits, &reading).await };
        let read = move || (progress.bytes_done(), progress.bytes_total());
        let imported = watched(ctx, import, ("Importing", span), read)
            .await?
            .map_err(|e| job_error(&EsxDepotError::Bundle(e)))?;
        let id = self
            .depots
            .record(&request, bundle.digest, imported)
            .await
            .map_err(|e| job_error(&e))?;
        if let Some(file_id) = push {
            self.depots.release_upload(file_id, id).await;
        }
        Ok(Some(serde_json::json!({"depot": id.to_string()})))
    }
}

impl ImportJob {
    /// The bundle file of `source`, and the uploaded file it is (`PUSH`).
    async fn bundle(
        &self,
        ctx: &mut JobContext,
        source: &ImportSource,
    ) -> Result<(BundleFile, Option<FileId>), JobError> {
        match source {
            ImportSource::Push { file_id } => {
                let (bundle, upload) = self
                    .depots
                    .uploaded_bundle(*file_id)
                    .await
                    .map_err(|e| job_error(&e))?;
                Ok((bundle, Some(upload.id)))
            }
            ImportSource::Pull { location, header } => {
                let parsed =
                    PullLocation::parse(location, self.depots.inner.settings.import_dir.as_deref())
                        .map_err(|e| job_error(&e))?;
                let bundle = match parsed {
                    PullLocation::File(path) => {
                        local_bundle(path).await.map_err(|e| job_error(&e))?
                    }
                    PullLocation::Http {
                        url,
                        origin,
                        secure,
                    } => {
                        if !secure {
                            ctx.log(
                                Level::Warn,
                                Message::new(
                                    "com.vmware.esx.settings.depots.offline.create.insecure",
                                    format!("The depot is downloaded over plain HTTP, unencrypted and unauthenticated: {url}"),
                                ),
                            )
                            .await?;
                        }
                        let (tx, rx) = watch::channel(DownloadProgress::default());
                        let download = self
                            .depots
                            .download_bundle(&url, &origin, header.as_ref(), tx)
                            .map_err(|e| job_error(&e))?;
                        let read = move || {
                            let p = *rx.borrow();
                            (p.bytes_done, p.bytes_total)
                        };
                        watched(ctx, download, ("Downloading", Span::DOWNLOAD), read)
                            .await?
                            .map_err(|e| job_error(&e))?
                    }
                };
                Ok((bundle, None))
            }
        }
    }
}

impl EsxDepots {
    /// Records an imported depot and commits its files; `AlreadyExists` (staged files
    /// dropped) when a depot of the same identity is stored.
    async fn record(
        &self,
        request: &ImportRequest,
        source_digest: depot_model::Sha256Digest,
        imported: ImportedDepot,
    ) -> Result<OfflineDepotId, EsxDepotError> {
        let ImportedDepot {
            depot,
            payloads,
            documents,
        } = imported;
        let source = match &request.source {
            ImportSource::Push { file_id } => OfflineDepotSource::Push { file_id: *file_id },
            ImportSource::Pull { location, .. } => OfflineDepotSource::Pull {
                location: location.clone(),
            },
        };
        let record = OfflineDepot {
            id: OfflineDepotId::new(),
            identity: depot.identity.0,
            source_digest,
            description: request.description.clone(),
            source,
            ownerdata: request.ownerdata.clone(),
            owner: UserName::parse(&request.owner)
                .map_err(|e| EsxDepotError::Internal(format!("owner: {e}")))?,
            create_time: self.inner.clock.now(),
        };
        let content = content_json(&depot.content())?;
        let files = file_tree(&depot, &documents);
        let store = &self.inner.store;
        match store.insert_offline_depot(&record, &content, &files).await {
            Ok(OfflineDepotInsert::Inserted) => {}
            Ok(OfflineDepotInsert::Exists(existing)) => {
                payloads.abort().await;
                return Err(EsxDepotError::AlreadyExists { depot: existing });
            }
            Err(e) => {
                payloads.abort().await;
                return Err(e.into());
            }
        }
        if let Err(e) = payloads.commit().await {
            // Without its files the depot must not stay.
            if let Err(undo) = store.delete_offline_depot(record.id).await {
                tracing::error!(depot = %record.id, error = %undo, "an offline depot whose files failed to commit could not be removed");
            }
            return Err(EsxDepotError::Bundle(e));
        }
        tracing::info!(depot = %record.id, identity = %record.identity, files = files.len(), "offline depot imported");
        Ok(record.id)
    }

    /// After a `PUSH` import: the upload is used by `depot` and no longer holds its zip.
    async fn release_upload(&self, file_id: FileId, depot: OfflineDepotId) {
        let released = async {
            self.inner
                .uploads
                .mark_used(file_id, &depot.to_string())
                .await?;
            self.inner
                .store
                .remove_blob_refs(&uploaded_file::blob_owner(file_id))
                .await?;
            Ok::<_, EsxDepotError>(())
        };
        if let Err(e) = released.await {
            // The depot is complete; the zip stays referenced until the upload expires.
            tracing::warn!(%file_id, error = %e, "an imported upload could not be released");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retriable(e: &EsxDepotError) -> (String, bool) {
        match job_error(e) {
            JobError::Failed { error, retriable } => (error.code, retriable),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_what_is_unavailable_for_now_fails_retriable() {
        let away = EsxDepotError::Blob(depot_blobs::BlobError::Io {
            op: "write",
            path: "/blobs/tmp/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        });
        assert_eq!(retriable(&away), ("SERVICE_UNAVAILABLE".to_owned(), true));
        let bad = EsxDepotError::Invalid("no such file_id".to_owned());
        assert_eq!(retriable(&bad), ("INVALID_ARGUMENT".to_owned(), false));
        let exists = EsxDepotError::AlreadyExists {
            depot: OfflineDepotId::new(),
        };
        assert_eq!(retriable(&exists), ("ALREADY_EXISTS".to_owned(), false));
    }
}
