//! `download-pvc` and `verify-pvc`: the catalog and its signature, checked against the
//! replace rules.

use super::{
    Arc, BTreeMap, Bytes, CatalogChange, CatalogError, CatalogRevision, CatalogVersion,
    DepotClient, DepotFile, JobContext, JobError, Level, Message, ProductVersionCatalog,
    ReplaceDecision, Run, catalog_failure, internal, unavailable,
};
use depot_model::Timestamp;

impl Run<'_> {
    /// `download-pvc` and `verify-pvc`.
    pub(super) async fn catalog_stages(
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
            let signer = self.verify_catalog(ctx.now()).await?;
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

    /// Verifies the fetched catalog's signature and parses it; returns the signer.
    pub(super) async fn verify_catalog(&mut self, now: Timestamp) -> Result<String, JobError> {
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
            let verified = depot_catalog::verify_signature(&trust, &catalog, &signature, now)?;
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
    pub(super) async fn check_rollback(&self) -> Result<(), JobError> {
        let Some(parsed) = &self.parsed_catalog else {
            return Ok(());
        };
        let file = self.file(&self.parts.config.paths.catalog)?;
        let incoming = CatalogRevision {
            sequence_number: parsed.sequence_number(),
            sha256: file.digest,
        };
        let (_, stored) = self.current_catalog().await?;
        depot_catalog::decide_replace(stored.as_ref(), &incoming)
            .map(|_| ())
            .map_err(|e| catalog_failure(&e))
    }

    /// The current catalog version and its revision, for the replace rules.
    async fn current_catalog(
        &self,
    ) -> Result<(Option<CatalogVersion>, Option<CatalogRevision>), JobError> {
        let current = self
            .parts
            .store
            .current_catalog()
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let stored = current.as_ref().map(CatalogRevision::of_version);
        Ok((current, stored))
    }

    /// The catalog version to accept with this sync: `None` when the identical file is
    /// current already. Refuses a rollback.
    pub(super) async fn catalog_candidate(
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
        let (current, stored) = self.current_catalog().await?;
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
        let version = CatalogVersion {
            id: 0,
            sequence_number: i64::try_from(parsed.sequence_number()).unwrap_or(i64::MAX),
            content_digest: file.digest,
            content_size: file.size,
            file_digest: file.digest,
            change: CatalogChange::Replace,
            accepted_by: ctx.task().created_by.clone(),
            accepted_at: ctx.now(),
            task_id: ctx.task().id,
        };
        Ok(Some((version, current.map(|c| c.id), bytes, parsed)))
    }
}
