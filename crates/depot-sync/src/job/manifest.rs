//! `download-urm` and `validate-urm`: the release manifest and compatibility data.

use super::{
    BTreeMap, DepotClient, DepotFile, ErrorKind, JobContext, JobError, Level, Message, Run,
    failure, internal, parse_manifest, unavailable,
};

impl Run<'_> {
    /// `download-urm` (with the compatibility data) and `validate-urm`.
    pub(super) async fn manifest_stages(
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
}
