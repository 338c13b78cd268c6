//! `apply`: the catalog, the file set and the sync record, in one transaction.

use async_trait::async_trait;
use depot_catalog_service::{
    AcceptError, Acceptance, Accepted, Acceptor, CatalogFile, Offer, accept, offer_replacement,
};
use depot_metadata::MetadataStore;

use super::{
    BTreeMap, CatalogVersion, DepotFile, DepotSyncApplied, DepotSyncApply, ErrorKind, JobContext,
    JobError, Level, Message, Run, SyncOutcome, SyncRecord, catalog_failure, info, unavailable,
};

impl Run<'_> {
    /// Makes the fetched set current, with the catalog when it changed.
    pub(super) async fn apply(
        &mut self,
        ctx: &mut JobContext,
        synced: &BTreeMap<String, DepotFile>,
    ) -> Result<Option<CatalogVersion>, JobError> {
        let catalog_path = self.parts.config.paths.catalog.clone();
        let catalog_changed = self.file(&catalog_path)?.changed;
        let now = ctx.now();
        let files: Vec<DepotFile> = self
            .payload
            .files
            .iter()
            .map(|(path, f)| DepotFile {
                path: path.clone(),
                digest: f.digest,
                size: f.size,
                modified_at: match synced.get(path) {
                    Some(s) if !f.changed => s.modified_at,
                    _ => now,
                },
                upstream_etag: f.etag.clone(),
                upstream_last_modified: f.last_modified.clone(),
            })
            .collect();
        let record = SyncRecord {
            task_id: ctx.task().id,
            outcome: SyncOutcome::Succeeded,
            error_message: None,
            completed_at: now,
            last_success_at: Some(now),
        };
        let accepted = if catalog_changed {
            self.accept_catalog(ctx, &files, &record).await?
        } else {
            None
        };
        if accepted.is_none() {
            self.apply_files(files, record).await?;
        }
        info!(
            changed = self.payload.files.values().filter(|f| f.changed).count(),
            "depot metadata applied"
        );
        Ok(accepted)
    }

    /// Accepts the fetched catalog together with `files` and `record`: the accepted
    /// version, or `None` when the identical catalog is current already (and nothing
    /// was written).
    async fn accept_catalog(
        &mut self,
        ctx: &mut JobContext,
        files: &[DepotFile],
        record: &SyncRecord,
    ) -> Result<Option<CatalogVersion>, JobError> {
        let by = Acceptor::of(ctx);
        let mut steps = SyncSteps {
            store: self.parts.store.as_ref(),
            file: self.catalog_file().await?,
            files,
            record,
        };
        let store = self.parts.store.as_ref();
        let accepted = accept(store, &self.parts.catalog_cache, &by, &mut steps).await;
        match accepted.map_err(accept_failure)? {
            Accepted::Stored(stored) => {
                let m = Message::new(
                    "com.vmware.depotd.depot.pvc.applied",
                    format!("Catalog sequence {} is now current", stored.sequence_number),
                )
                .arg("sequenceNumber", stored.sequence_number);
                ctx.stage_log("apply", Level::Info, m).await?;
                Ok(Some(stored))
            }
            Accepted::Unchanged(_) => {
                let m = Message::new(
                    "com.vmware.depotd.pvc.unchanged",
                    "The identical catalog is already current",
                );
                ctx.stage_log("apply", Level::Info, m).await?;
                Ok(None)
            }
        }
    }

    /// Replaces the file set and stores the record, the catalog staying as it is.
    async fn apply_files(&self, files: Vec<DepotFile>, record: SyncRecord) -> Result<(), JobError> {
        let apply = DepotSyncApply {
            catalog: None,
            files,
            record,
        };
        match self.parts.store.apply_depot_sync(&apply).await {
            Ok(DepotSyncApplied::Applied(_)) => Ok(()),
            // Only a write with a catalog checks the current one.
            Ok(DepotSyncApplied::CatalogChanged) => Err(busy()),
            Err(e) => Err(unavailable(&e.to_string())),
        }
    }
}

/// The sync's steps of an acceptance: the fetched file replaces the current catalog, in
/// one transaction with the file set and the record.
struct SyncSteps<'a> {
    store: &'a dyn MetadataStore,
    file: CatalogFile,
    files: &'a [DepotFile],
    record: &'a SyncRecord,
}

#[async_trait]
impl Acceptance for SyncSteps<'_> {
    async fn offer(&mut self, current: Option<&CatalogVersion>) -> Result<Offer, AcceptError> {
        // The file is a blob already: it was fetched into the store.
        Ok(offer_replacement(current, &self.file)?)
    }

    async fn write(
        &mut self,
        version: &CatalogVersion,
        previous: Option<i64>,
    ) -> Result<Option<CatalogVersion>, AcceptError> {
        let apply = DepotSyncApply {
            catalog: Some((version.clone(), previous)),
            files: self.files.to_vec(),
            record: self.record.clone(),
        };
        Ok(match self.store.apply_depot_sync(&apply).await? {
            DepotSyncApplied::Applied(accepted) => accepted,
            DepotSyncApplied::CatalogChanged => None,
        })
    }
}

/// An acceptance failure as a task failure.
fn accept_failure(e: AcceptError) -> JobError {
    match e {
        AcceptError::Refused(e) => catalog_failure(&e),
        AcceptError::Store(e) => unavailable(&e.to_string()),
        AcceptError::Busy => busy(),
        AcceptError::Job(e) => e,
    }
}

fn busy() -> JobError {
    JobError::retriable(
        ErrorKind::Conflict,
        "DEPOT_METADATA_BUSY",
        Message::new(
            "com.vmware.depotd.depot.busy",
            "The catalog kept changing while the sync applied; retry the task",
        ),
    )
}
