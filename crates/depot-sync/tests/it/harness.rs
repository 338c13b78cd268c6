//! The server side: SQLite and file-system blobs in a temp dir, the task engine running
//! the sync job, the depot service — wired to an [`Upstream`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use depot_blobs::FsBlobStore;
use depot_catalog::TrustStore;
use depot_catalog_service::{CatalogService, CatalogSettings, CurrentCache, UploadMode};
use depot_metadata::{CatalogStore as _, DepotStore as _, SqliteStore};
use depot_model::{
    CatalogVersion, DepotFile, Sha256Digest, StageStatus, Task, TaskStatus, Timestamp,
};
use depot_secrets::SecretBox;
use depot_sync::{
    AccountInput, ConfigurationInput, DepotService, ReleaseVersion, SettingsInput, SyncConfig,
    SyncParts, SyncState,
};
use depot_tasks::{EngineSettings, Job, TaskEngine};
use depot_upstream::{RetryPolicy, Secret, Timeouts};

use crate::upstream::{Access, PASSWORD, TOKEN, USER, Upstream, pki};

/// Who triggers syncs in the tests.
pub const ADMIN: &str = "admin@local";

/// Quick retries and short timeouts, so that faults fail fast.
pub fn quick_config() -> SyncConfig {
    SyncConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_secs(1),
            request: None,
        },
        retry: RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
        },
        ..SyncConfig::default()
    }
}

/// Offline depot settings: `url`, the test user with `password`, trusting `ca`.
pub fn offline(url: &str, password: &str, ca: &str) -> SettingsInput {
    SettingsInput {
        offline_account: Some(AccountInput {
            username: Some(USER.to_owned()),
            password: Some(Secret::new(password)),
            ..AccountInput::default()
        }),
        configuration: Some(ConfigurationInput {
            is_offline_depot: Some(true),
            url: Some(url.to_owned()),
            trusted_certificates: Some(vec![ca.to_owned()]),
            ..ConfigurationInput::default()
        }),
        ..SettingsInput::default()
    }
}

/// Online depot settings: `url` with download token `token`, trusting the test CA.
pub fn online(url: &str, token: &str) -> SettingsInput {
    SettingsInput {
        vmware_account: Some(AccountInput {
            download_token: Some(Secret::new(token)),
            ..AccountInput::default()
        }),
        configuration: Some(ConfigurationInput {
            is_offline_depot: Some(false),
            url: Some(url.to_owned()),
            trusted_certificates: Some(vec![pki().tls_ca.clone()]),
            ..ConfigurationInput::default()
        }),
        ..SettingsInput::default()
    }
}

/// A depot server with its own database, blobs, engine and upstream; catalog uploads
/// (from `import_dir`) share its catalog store and cache, as in depotd.
pub struct Harness {
    pub upstream: Upstream,
    pub store: Arc<SqliteStore>,
    pub engine: Arc<TaskEngine>,
    pub service: Arc<DepotService>,
    pub catalogs: Arc<CatalogService>,
    pub import_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// What the synced metadata looks like: it must not change when a sync fails.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub catalog: Option<CatalogVersion>,
    pub history: Vec<CatalogVersion>,
    pub files: Vec<DepotFile>,
    pub releases: Vec<ReleaseVersion>,
    pub last_completion: Option<Timestamp>,
}

impl Harness {
    /// An offline depot with Basic auth, its settings stored (not synced yet).
    pub async fn offline() -> Self {
        Self::with(quick_config(), Access::Basic(USER.into(), PASSWORD.into())).await
    }

    /// An online depot with a download token, its settings stored (not synced yet).
    pub async fn online() -> Self {
        Self::with(quick_config(), Access::Token(TOKEN.into())).await
    }

    /// An offline depot after one successful sync, and what that sync left.
    pub async fn synced() -> (Self, Snapshot) {
        let h = Self::offline().await;
        let task = h.sync().await;
        assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
        let snapshot = h.snapshot().await;
        (h, snapshot)
    }

    /// A server with `config` against a new upstream depot with `access`.
    pub async fn with(config: SyncConfig, access: Access) -> Self {
        let upstream = Upstream::start(access.clone()).await;
        let h = Self::without_settings(config, upstream).await;
        let input = match access {
            Access::Basic(..) => offline(&h.upstream.url(), PASSWORD, &pki().tls_ca),
            Access::Token(token) => online(&h.upstream.url(), &token),
        };
        let view = h.service.put_settings(input, ADMIN).await.unwrap();
        let account = view.offline_account.or(view.vmware_account).unwrap();
        assert_eq!(
            account.status.as_deref(),
            Some("DEPOT_CONNECTION_SUCCESSFUL"),
            "{account:?}"
        );
        h
    }

    /// A server with `config` and no depot settings.
    pub async fn without_settings(config: SyncConfig, upstream: Upstream) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("depot.db").display());
        let store = Arc::new(SqliteStore::connect(&url).await.unwrap());
        let blobs = Arc::new(FsBlobStore::open(dir.path().join("blobs")).await.unwrap());
        let trust = Arc::new(TrustStore::from_pem([pki().catalog_ca.as_bytes()]).unwrap());
        let cache = Arc::new(CurrentCache::default());
        let parts = Arc::new(SyncParts {
            store: store.clone(),
            blobs: blobs.clone(),
            config,
            sealer: Arc::new(SecretBox::new(&[7; 32])),
            trust: Arc::clone(&trust),
            catalog_cache: Arc::clone(&cache),
        });
        let import_dir = dir.path().join("import");
        std::fs::create_dir(&import_dir).unwrap();
        let catalog_settings = CatalogSettings {
            import_dir: import_dir.clone(),
            max_file_bytes: 64 << 20,
            trust,
        };
        let settings = EngineSettings {
            workers: 1,
            poll_interval: Duration::from_millis(50),
            ..EngineSettings::default()
        };
        let jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(DepotService::job(Arc::clone(&parts))),
            Arc::new(CatalogService::job(
                store.clone(),
                blobs.clone(),
                catalog_settings.clone(),
                Arc::clone(&cache),
            )),
        ];
        let engine = TaskEngine::new(store.clone(), settings, jobs);
        let service = Arc::new(DepotService::new(parts, Arc::clone(&engine)));
        let catalogs = Arc::new(CatalogService::new(
            store.clone(),
            blobs,
            catalog_settings,
            cache,
            Arc::clone(&engine),
        ));
        Self {
            upstream,
            store,
            engine,
            service,
            catalogs,
            import_dir,
            _dir: dir,
        }
    }

    /// Starts a sync and runs it to its end.
    pub async fn sync(&self) -> Task {
        let task = self.service.sync(ADMIN).await.unwrap();
        self.run(task).await
    }

    /// Uploads the catalog file `name` (and `name.sig`) of the import directory to
    /// replace the current catalog, and runs the upload to its end.
    pub async fn upload(&self, name: &str) -> Task {
        let task = self
            .catalogs
            .submit(
                UploadMode::Replace,
                Some(name.to_owned()),
                Some(format!("{name}.sig")),
                ADMIN,
            )
            .await
            .unwrap();
        self.run(task).await
    }

    /// Retries a failed sync and runs it to its end.
    pub async fn retry(&self, task: &Task) -> Task {
        let task = self.engine.retry(task.id, ADMIN).await.unwrap();
        self.run(task).await
    }

    async fn run(&self, task: Task) -> Task {
        let ran = tokio::time::timeout(Duration::from_mins(1), self.engine.run_pending())
            .await
            .expect("the sync ends within a minute")
            .unwrap();
        assert!(ran >= 1, "no task ran");
        let task = self.engine.get(task.id).await.unwrap();
        assert!(task.status.is_terminal(), "{:?}", task.status);
        task
    }

    /// The synced metadata as the service and the store show it.
    pub async fn snapshot(&self) -> Snapshot {
        let mut files = self.store.depot_files().await.unwrap();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Snapshot {
            catalog: self.store.current_catalog().await.unwrap(),
            history: self.store.catalog_history().await.unwrap(),
            files,
            releases: self.service.release_versions().await.unwrap().to_vec(),
            last_completion: self.service.sync_info().await.unwrap().last_completion,
        }
    }

    /// Whether nothing was synced: no catalog, no files.
    pub async fn store_is_empty(&self) -> bool {
        self.store.current_catalog().await.unwrap().is_none()
            && self.store.depot_files().await.unwrap().is_empty()
    }

    /// The status of the stored depot account.
    pub async fn depot_status(&self) -> Option<String> {
        let view = self.service.settings().await.unwrap();
        view.offline_account.or(view.vmware_account)?.status
    }

    /// Checks a sync failed at `stage` with `code` and a message containing `says`, can
    /// be retried, and left the metadata as `before`.
    pub async fn assert_failed(
        &self,
        task: &Task,
        stage: &str,
        code: &str,
        says: &str,
        before: &Snapshot,
    ) {
        assert_eq!(task.status, TaskStatus::Failed);
        let error = task.error.as_ref().expect("a failed task has an error");
        assert_eq!(error.code, code, "{error:?}");
        assert!(error.message.default.contains(says), "{error:?}");
        assert!(task.retriable, "every sync failure is retriable");
        let failed: Vec<&str> = task
            .stages
            .iter()
            .filter(|s| s.status == StageStatus::Failed)
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(failed, [stage], "{:?}", stages(task));
        assert_eq!(
            &self.snapshot().await,
            before,
            "the failed sync changed metadata"
        );
        let info = self.service.sync_info().await.unwrap();
        assert_eq!(info.state, SyncState::Failed);
        assert_eq!(info.error_message.as_deref(), Some(&*error.message.default));
    }
}

/// The stages of `task` with their status.
pub fn stages(task: &Task) -> Vec<(&str, StageStatus)> {
    task.stages
        .iter()
        .map(|s| (s.id.as_str(), s.status))
        .collect()
}

/// The digest of the synced file at `path`.
pub fn synced_digest(snapshot: &Snapshot, path: &str) -> Option<Sha256Digest> {
    snapshot
        .files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.digest)
}
