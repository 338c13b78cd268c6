//! [`DepotService`]: depot settings, sync triggers and what the synced metadata gives
//! (sync info, release versions).

use std::sync::{Arc, Mutex, PoisonError};

use depot_metadata::{PageRequest, TaskFilter};
use depot_model::{Message, Sha256Digest, Stage, SyncOutcome, Task, TaskStatus, Timestamp};
use depot_tasks::{NewTask, TaskEngine};
use depot_upstream::{ConnectionStatus, DepotClient};
use tracing::info;

use crate::SyncError;
use crate::job::{self, CONCURRENCY_KEY, DepotSync, Payload};
use crate::manifest::parse_manifest;
use crate::releases::{ReleaseVersion, release_versions};
use crate::settings::{DepotType, Document, SettingsInput, SettingsView};
use crate::shared::SyncParts;

/// Who starts scheduled syncs.
pub const SYSTEM_USER: &str = "system";

/// The sync state `depot-sync-info` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// No sync has finished yet, and none runs.
    NotSynced,
    /// A sync is pending or running.
    InProgress,
    /// The last sync succeeded.
    Succeeded,
    /// The last sync failed; the previous metadata stays in use.
    Failed,
}

impl SyncState {
    /// The wire name (`SYNC_…`).
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::NotSynced => "SYNC_NOT_STARTED",
            SyncState::InProgress => "SYNC_IN_PROGRESS",
            SyncState::Succeeded => "SYNC_SUCCEEDED",
            SyncState::Failed => "SYNC_FAILED",
        }
    }
}

/// What `depot-sync-info` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncInfo {
    /// The state.
    pub state: SyncState,
    /// Why the last sync failed.
    pub error_message: Option<String>,
    /// When the last successful sync completed.
    pub last_completion: Option<Timestamp>,
}

/// Release versions computed for a manifest digest and a catalog version id.
type CachedReleases = (Sha256Digest, Option<i64>, Arc<Vec<ReleaseVersion>>);

/// Depot settings and syncs.
pub struct DepotService {
    parts: Arc<SyncParts>,
    tasks: Arc<TaskEngine>,
    releases: Mutex<Option<CachedReleases>>,
}

impl DepotService {
    /// The job the engine must run for this service.
    pub fn job(parts: Arc<SyncParts>) -> DepotSync {
        DepotSync::new(parts)
    }

    /// A service submitting syncs to `tasks` (which runs [`DepotService::job`]).
    pub fn new(parts: Arc<SyncParts>, tasks: Arc<TaskEngine>) -> Self {
        Self {
            parts,
            tasks,
            releases: Mutex::new(None),
        }
    }

    /// The depot settings as shown (no secrets); empty when none are set.
    pub async fn settings(&self) -> Result<SettingsView, SyncError> {
        Ok(self
            .parts
            .document()
            .await?
            .map(|d| d.view())
            .unwrap_or_default())
    }

    /// Checks and stores new depot settings, tests the connection and records its status.
    /// Settings the client cannot use (bad URL, a certificate that is not PEM) are refused
    /// and nothing is stored; an unreachable depot is stored with its status saying why.
    pub async fn put_settings(
        &self,
        input: SettingsInput,
        user: &str,
    ) -> Result<SettingsView, SyncError> {
        let previous = self.parts.document().await?;
        let mut doc = Document::from_input(input, previous.as_ref(), &self.parts.sealer)?;
        let client =
            DepotClient::new(&doc.client_settings(&self.parts.config, &self.parts.sealer)?)?;
        let ConnectionStatus { code, message } = client.test_connection().await;
        doc.set_status(code.as_str(), &message);
        self.parts.save_document(&doc, user).await?;
        info!(user, status = code.as_str(), url = %doc.base_url(), "depot settings updated");
        Ok(doc.view())
    }

    /// Stores settings from the configuration file (no connection test: the first sync
    /// reports it). Unchanged settings are not rewritten.
    pub async fn apply_configured(&self, input: SettingsInput) -> Result<(), SyncError> {
        let previous = self.parts.document().await?;
        let doc = Document::from_input(input, previous.as_ref(), &self.parts.sealer)?;
        doc.client_settings(&self.parts.config, &self.parts.sealer)
            .and_then(|s| DepotClient::new(&s).map_err(SyncError::from))?;
        if let Some(previous) = &previous
            && previous.same_depot(&doc, &self.parts.sealer)
        {
            return Ok(());
        }
        self.parts.save_document(&doc, "configuration").await?;
        info!(url = %doc.base_url(), "depot settings taken from the configuration");
        Ok(())
    }

    /// Removes one account (`depot_type`) or, without one, all depot settings.
    pub async fn delete_settings(
        &self,
        depot_type: Option<DepotType>,
        user: &str,
    ) -> Result<(), SyncError> {
        let Some(depot_type) = depot_type else {
            self.parts.store.put_depot_settings(None).await?;
            info!(user, "depot settings deleted");
            return Ok(());
        };
        let Some(mut doc) = self.parts.document().await? else {
            return Ok(());
        };
        match depot_type {
            DepotType::Vmware => doc.vmware_account = None,
            DepotType::Offline => doc.offline_account = None,
        }
        self.parts.save_document(&doc, user).await?;
        info!(user, ?depot_type, "depot account removed");
        Ok(())
    }

    /// Starts a sync, or returns the one pending or running (manual or scheduled).
    pub async fn sync(&self, user: &str) -> Result<Task, SyncError> {
        let mut task = NewTask::new(
            job::NAME,
            Message::new(
                "com.broadcom.lcm.depot.metadata.sync",
                "Synchronize depot metadata",
            ),
            user,
        );
        "sync".clone_into(&mut task.task_type);
        task.resource = Some(("depot".to_owned(), "DEPOT".to_owned()));
        task.concurrency_key = Some(CONCURRENCY_KEY.to_owned());
        task.payload = serde_json::to_value(Payload {
            trigger: if user == SYSTEM_USER {
                "scheduled"
            } else {
                "manual"
            }
            .to_owned(),
            ..Payload::default()
        })
        .unwrap_or_default();
        task.stages = job::STAGES
            .iter()
            .map(|(id, key, text)| Stage::new(*id, Message::new(*key, *text)))
            .collect();
        let task = self.tasks.submit(task).await?;
        Ok(task)
    }

    /// The sync state, the last error and the last successful completion.
    pub async fn sync_info(&self) -> Result<SyncInfo, SyncError> {
        let record = self.parts.store.sync_record().await?;
        let last_completion = record.as_ref().and_then(|r| r.last_success_at);
        if self.active_sync().await?.is_some() {
            return Ok(SyncInfo {
                state: SyncState::InProgress,
                error_message: None,
                last_completion,
            });
        }
        Ok(match record {
            None => SyncInfo {
                state: SyncState::NotSynced,
                error_message: None,
                last_completion,
            },
            Some(r) => SyncInfo {
                state: match r.outcome {
                    SyncOutcome::Succeeded => SyncState::Succeeded,
                    SyncOutcome::Failed => SyncState::Failed,
                },
                error_message: r.error_message,
                last_completion,
            },
        })
    }

    /// The pending or running sync, if any.
    pub async fn active_sync(&self) -> Result<Option<Task>, SyncError> {
        let filter = TaskFilter {
            names: vec![job::NAME.to_owned()],
            statuses: vec![TaskStatus::Pending, TaskStatus::Running],
            include_system: true,
            ..TaskFilter::default()
        };
        let page = self
            .tasks
            .list(&filter, PageRequest { number: 1, size: 1 })
            .await?;
        Ok(page.items.into_iter().next())
    }

    /// Whether depot settings are stored.
    pub async fn is_configured(&self) -> Result<bool, SyncError> {
        Ok(self.parts.store.depot_settings().await?.is_some())
    }

    /// The release versions of the synced manifest and catalog (empty before the first
    /// sync), computed once per manifest and catalog version.
    pub async fn release_versions(&self) -> Result<Arc<Vec<ReleaseVersion>>, SyncError> {
        let path = &self.parts.config.paths.manifest;
        let Some(file) = self.parts.store.depot_file(path).await? else {
            return Ok(Arc::new(Vec::new()));
        };
        let cache = self
            .parts
            .catalog_cache
            .get(self.parts.store.as_ref(), self.parts.blobs.as_ref())
            .await
            .map_err(|e| SyncError::CorruptMetadata {
                what: "catalog",
                detail: e.to_string(),
            })?;
        let catalog_id = cache.as_ref().map(|(v, _)| v.id);
        if let Some((digest, id, list)) =
            &*self.releases.lock().unwrap_or_else(PoisonError::into_inner)
            && *digest == file.digest
            && *id == catalog_id
        {
            return Ok(Arc::clone(list));
        }
        let bytes = self.parts.read_blob(&file.digest).await?;
        let cached = cache.map(|(_, cached)| cached);
        let corrupt =
            |what: &'static str, detail: String| SyncError::CorruptMetadata { what, detail };
        let list = tokio::task::spawn_blocking(move || {
            let catalog = cached
                .map(|c| c.parsed_or_parse())
                .transpose()
                .map_err(|e| corrupt("catalog", e.to_string()))?;
            parse_manifest(&bytes)
                .map(|m| release_versions(&m, catalog.as_deref()))
                .map_err(|e| corrupt("release manifest", e.to_string()))
        })
        .await
        .map_err(|e| corrupt("release manifest", e.to_string()))??;
        let list = Arc::new(list);
        *self.releases.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((file.digest, catalog_id, Arc::clone(&list)));
        Ok(list)
    }

    /// A stable id of this installation for the depot (`machine-details`): derived from
    /// the key of sealed secrets, so replicas sharing the key share it.
    pub fn machine_id(&self) -> String {
        self.parts.sealer.machine_id()
    }
}
