//! `connect`: one request to the depot, and the client the later stages use.

use super::{
    ConnectionCode, ConnectionStatus, DepotClient, JobContext, JobError, Level, Message, Run,
    SyncError, connection_failure, failure, upstream_failure, warn,
};

impl Run<'_> {
    /// `connect` (begun by the caller): one request to the depot, whose outcome the
    /// settings show.
    pub(super) async fn connect(
        &self,
        ctx: &mut JobContext,
        client: &DepotClient,
    ) -> Result<(), JobError> {
        let status = client.test_connection().await;
        self.note(&status).await;
        if status.code != ConnectionCode::Successful {
            return Err(connection_failure(&status));
        }
        ctx.stage_log(
            "connect",
            Level::Info,
            Message::new("com.vmware.depotd.depot.connected", status.message),
        )
        .await?;
        ctx.finish_stage("connect").await
    }

    /// The upstream client for the stored settings.
    pub(super) async fn client(&mut self) -> Result<DepotClient, JobError> {
        let settings_error = |e: &SyncError| {
            failure(
                e.kind(),
                e.code(),
                "com.vmware.depotd.depot.settings",
                e.to_string(),
                "Set the depot with PUT /v1/system/settings/depot",
            )
        };
        let (doc, version) = self
            .parts
            .versioned_document()
            .await
            .map_err(|e| settings_error(&e))?
            .ok_or_else(|| settings_error(&SyncError::NotConfigured))?;
        self.settings_version = Some(version);
        let settings = doc
            .client_settings(&self.parts.config, &self.parts.sealer)
            .map_err(|e| settings_error(&e))?;
        DepotClient::new(&settings).map_err(|e| upstream_failure(&e))
    }

    /// Records the connection status on the settings.
    pub(super) async fn note(&self, status: &ConnectionStatus) {
        let Some(version) = self.settings_version else {
            return;
        };
        if let Err(e) = self
            .parts
            .note_status(status.code.as_str(), &status.message, version)
            .await
        {
            warn!(error = %e, "cannot record the depot connection status");
        }
    }
}
