//! Conditional fetches of depot files into the blob store, remembered in the payload.

use super::{
    BTreeMap, Conditional, DepotClient, DepotFile, DepotPath, FetchOutcome, FetchRequest,
    FetchedFile, JobContext, JobError, Level, Message, Run, UpstreamError, connection_status,
    internal, upstream_failure,
};

impl Run<'_> {
    /// Fetches `paths` (conditionally on what this task or the last sync has) into the
    /// blob store and records them in the payload. `optional`: a file the depot does not
    /// have is skipped with a warning.
    pub(super) async fn fetch(
        &mut self,
        ctx: &mut JobContext,
        client: &DepotClient,
        synced: &BTreeMap<String, DepotFile>,
        stage: &str,
        paths: &[String],
        optional: bool,
    ) -> Result<(), JobError> {
        for path in paths {
            let depot_path = DepotPath::parse(path).map_err(|e| upstream_failure(&e))?;
            let conditional = match (self.payload.files.get(path), synced.get(path)) {
                (Some(f), _) => Conditional {
                    etag: f.etag.clone(),
                    last_modified: f.last_modified.clone(),
                    known_sha256: Some(f.digest),
                },
                (None, Some(f)) => Conditional {
                    etag: f.upstream_etag.clone(),
                    last_modified: f.upstream_last_modified.clone(),
                    known_sha256: Some(f.digest),
                },
                (None, None) => Conditional::default(),
            };
            let request = FetchRequest {
                conditional,
                max_size: Some(self.parts.config.max_file_bytes),
                expected_sha256: None,
            };
            let outcome = match client
                .fetch(self.parts.blobs.as_ref(), &depot_path, &request)
                .await
            {
                Ok(outcome) => outcome,
                Err(UpstreamError::FileNotFound { url, status }) if optional => {
                    self.payload.files.remove(path);
                    let m = Message::new(
                        "com.vmware.depotd.depot.file.absent",
                        format!("The depot has no {url} (HTTP {status}); skipped"),
                    )
                    .arg("path", path);
                    ctx.stage_log(stage, Level::Warn, m).await?;
                    continue;
                }
                Err(e) => {
                    if let Some(status) = connection_status(&e) {
                        self.note(&status).await;
                    }
                    return Err(upstream_failure(&e));
                }
            };
            let previous_digest = synced.get(path).map(|f| f.digest);
            let fetched = match outcome {
                FetchOutcome::NotModified(validators) => {
                    // The copy this task or the last sync has is still current.
                    let known = self
                        .payload
                        .files
                        .get(path)
                        .map(|f| (f.digest, f.size))
                        .or_else(|| synced.get(path).map(|f| (f.digest, f.size)))
                        .ok_or_else(|| internal("HTTP 304 without a stored copy"))?;
                    FetchedFile {
                        changed: previous_digest != Some(known.0),
                        digest: known.0,
                        size: known.1,
                        etag: validators.etag,
                        last_modified: validators.last_modified,
                    }
                }
                FetchOutcome::Fetched(f) => FetchedFile {
                    changed: previous_digest != Some(f.blob.digest),
                    digest: f.blob.digest,
                    size: f.blob.size,
                    etag: f.validators.etag,
                    last_modified: f.validators.last_modified,
                },
            };
            let what = if fetched.changed {
                format!("Downloaded {path} ({} bytes)", fetched.size)
            } else {
                format!("{path} is unchanged")
            };
            let m = Message::new("com.vmware.depotd.depot.file.fetched", what)
                .arg("path", path)
                .arg("changed", fetched.changed);
            self.payload.files.insert(path.clone(), fetched);
            ctx.stage_log(stage, Level::Info, m).await?;
        }
        ctx.set_payload(&self.payload).await
    }

    /// Whether every one of `paths` was fetched unchanged.
    pub(super) fn unchanged(&self, paths: &[String]) -> bool {
        paths
            .iter()
            .all(|p| self.payload.files.get(p).is_some_and(|f| !f.changed))
    }

    pub(super) fn file(&self, path: &str) -> Result<&FetchedFile, JobError> {
        self.payload
            .files
            .get(path)
            .ok_or_else(|| internal(&format!("{path} was not fetched by an earlier stage")))
    }
}
