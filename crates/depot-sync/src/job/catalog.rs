//! `download-pvc` and `verify-pvc`: the catalog and its signature, checked against the
//! replace rules.

use depot_catalog_service::{CatalogFile, check_replace};
use depot_model::Timestamp;

use super::{
    Arc, BTreeMap, CatalogError, DepotClient, DepotFile, JobContext, JobError, Level, Message, Run,
    catalog_failure, internal, unavailable,
};

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
                .catalog
                .as_ref()
                .map_or(0, |c| c.parsed.sequence_number());
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
        let digest = self.file(&paths.catalog)?.digest;
        let catalog = self
            .parts
            .read_blob(&digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let signature = self
            .parts
            .read_blob(&self.file(&paths.catalog_signature)?.digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let trust = Arc::clone(&self.parts.trust);
        let bytes = catalog.clone();
        let (signer, parsed) = tokio::task::spawn_blocking(move || {
            let verified = depot_catalog::verify_signature(&trust, &catalog, &signature, now)?;
            let parsed = depot_catalog::parse_catalog(&catalog)?;
            Ok::<_, CatalogError>((verified.signer, parsed))
        })
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| catalog_failure(&e))?;
        self.catalog = Some(CatalogFile {
            bytes,
            digest,
            parsed: Arc::new(parsed),
        });
        Ok(signer)
    }

    /// Refuses a verified catalog that would roll the current one back (or conflict with
    /// it), here rather than at apply: a retry of this stage fetches the depot's fixed
    /// catalog first. The apply stage checks again, against the then current version.
    pub(super) async fn check_rollback(&self) -> Result<(), JobError> {
        let Some(catalog) = &self.catalog else {
            return Ok(());
        };
        let current = self
            .parts
            .store
            .current_catalog()
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        check_replace(current.as_ref(), &catalog.revision())
            .map(|_| ())
            .map_err(|e| catalog_failure(&e))
    }

    /// The fetched catalog file: as verified by this run, or read and parsed again (a
    /// retry that resumes at the apply stage).
    pub(super) async fn catalog_file(&mut self) -> Result<CatalogFile, JobError> {
        if let Some(catalog) = &self.catalog {
            return Ok(catalog.clone());
        }
        let digest = self.file(&self.parts.config.paths.catalog)?.digest;
        let bytes = self
            .parts
            .read_blob(&digest)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let b = bytes.clone();
        let parsed = tokio::task::spawn_blocking(move || depot_catalog::parse_catalog(&b))
            .await
            .map_err(|e| internal(&e.to_string()))?
            .map_err(|e| catalog_failure(&e))?;
        let catalog = CatalogFile {
            bytes,
            digest,
            parsed: Arc::new(parsed),
        };
        self.catalog = Some(catalog.clone());
        Ok(catalog)
    }
}
