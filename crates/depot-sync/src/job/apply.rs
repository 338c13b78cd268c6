//! `apply`: the catalog, the file set and the sync record, in one transaction.

use super::{
    APPLY_ATTEMPTS, BTreeMap, CatalogVersion, DepotFile, DepotSyncApplied, DepotSyncApply,
    ErrorKind, JobContext, JobError, Level, Message, Run, SyncOutcome, SyncRecord, info,
    unavailable,
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
        let task_id = ctx.task().id;
        let record = |last_success| SyncRecord {
            task_id,
            outcome: SyncOutcome::Succeeded,
            error_message: None,
            completed_at: now,
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
                record: record(now),
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
}
