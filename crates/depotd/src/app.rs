//! Wiring: stores, services, the task engine and the HTTP router of one server.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use depot_auth::{AuthService, AuthSettings, Secret};
use depot_blobs::{BlobStore, FsBlobStore, S3BlobStore, S3Config};
use depot_catalog::TrustStore;
use depot_catalog_service::{CatalogService, CatalogSettings, CurrentCache, Validation};
use depot_esx_depots::EsxDepots;
use depot_esx_online::{DepotDeleteJob, DepotsSyncJob, OnlineDepots, OnlineSettings};
use depot_http::{Services, TrustedProxies};
use depot_library::ContentLibrary;
use depot_metadata::MetadataStore;
use depot_model::{Clock, SystemClock};
use depot_secrets::SecretBox;
use depot_sync::{DepotService, Schedule, SyncConfig, SyncParts};
use depot_tasks::{EngineSettings, Job, TaskEngine};
use depot_uploads::Uploads;
use tokio::sync::watch;
use tracing::info;

use crate::blob_usage::{self, BlobUsage};
use crate::commit_fence::DatabaseFence;
use crate::config::{BlobStoreChoice, Config};
use crate::data_dir::{self, DataDir};
use crate::downstream::{self, Access, DownstreamState};
use crate::{jobs, ops};

/// Everything a running server holds, shared by every clone of its [`App`].
pub struct AppParts {
    /// The configuration in effect.
    pub config: Arc<Config>,
    /// Metadata store.
    pub store: Arc<dyn MetadataStore>,
    /// Blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// The cached size of the blob store (`depotd_blob_bytes`).
    pub blob_usage: Arc<BlobUsage>,
    /// Services shared by the routers.
    pub services: Services,
    /// Product version catalogs.
    pub catalogs: Arc<CatalogService>,
    /// Depot settings and metadata syncs.
    pub depot: Arc<DepotService>,
    /// Content libraries, their items and transfers.
    pub library: ContentLibrary,
    /// Files uploaded for ESX offline-depot imports.
    pub uploads: Uploads,
    /// ESX online depots and their sync.
    pub online_depots: OnlineDepots,
    /// ESX offline depots.
    pub esx_depots: EsxDepots,
    /// Where the services read the time.
    clock: Arc<dyn Clock>,
    /// Turns true when the server stops (ends the sync schedule).
    stopping: Arc<watch::Sender<bool>>,
    /// The lock of a SQLite database file, held while any clone lives.
    _database_lock: Option<Arc<std::fs::File>>,
}

/// A running server: its parts behind one `Arc` (the routers clone their state for
/// every request, so a clone is one counter), and the vSphere operations added to the
/// built-in ones (tests add their own before building the router).
#[derive(Clone)]
pub struct App {
    parts: Arc<AppParts>,
    /// vSphere operations added to the built-in ones (tests add their own).
    pub extra_vsphere_operations: Vec<depot_api_vsphere::Operation<App>>,
}

impl std::ops::Deref for App {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.parts
    }
}

impl App {
    /// Opens the stores in `data_dir`, runs migrations and builds the services. The
    /// engine is not started: call [`App::start`]. `extra_jobs` lets tests add jobs.
    pub async fn open(
        config: Config,
        data_dir: &DataDir,
        extra_jobs: Vec<Arc<dyn Job>>,
    ) -> anyhow::Result<Self> {
        Self::open_with_clock(config, data_dir, extra_jobs, SystemClock::shared()).await
    }

    /// [`App::open`] with the services reading the time from `clock` (tests pass a
    /// manual clock and move it instead of sleeping).
    pub async fn open_with_clock(
        config: Config,
        data_dir: &DataDir,
        extra_jobs: Vec<Arc<dyn Job>>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        // Installed before the first request so every request is counted.
        ops::recorder();
        let url = config.database_url();
        let database_lock = depot_metadata::SqliteStore::file_path(&url)
            .map(|path| data_dir::lock_database(&path).map(Arc::new))
            .transpose()?;
        let store = depot_metadata::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        info!(backend = store.backend(), "metadata store ready");
        let blobs = open_blobs(&config, data_dir, store.as_ref()).await?;
        let auth = auth_service(&config, &store, &clock);
        let catalog_settings = catalog_settings(&config)?;
        // SQLite is the single-server store (its data dir is locked against a second
        // server), so this process accepts every catalog; on PostgreSQL replicas may,
        // and announce it.
        let catalog_cache = Arc::new(CurrentCache::new(if store.backend() == "sqlite" {
            Validation::LocalWrites
        } else {
            Validation::Announced
        }));
        let sealer = Arc::new(SecretBox::new(
            &data_dir.secret_key(config.secret_key_file.as_deref())?,
        ));
        let sync_parts = Arc::new(SyncParts {
            store: Arc::clone(&store),
            blobs: Arc::clone(&blobs),
            config: sync_config(&config),
            sealer: Arc::clone(&sealer),
            trust: Arc::clone(&catalog_settings.trust),
            catalog_cache: Arc::clone(&catalog_cache),
        });
        let library = ContentLibrary::new(
            Arc::clone(&store),
            Arc::clone(&blobs),
            Arc::clone(&sealer),
            Arc::clone(&clock),
            config.library.service(),
        );
        let online_depots = online_service(&config, &store, &blobs, &clock)?;
        let (uploads, esx_depots) = esx_services(&config, &store, &blobs, &sealer, &clock);
        let blob_usage = BlobUsage::new(Arc::clone(&blobs), blob_usage::REFRESH_EVERY);
        let mut job_list = jobs::all(&store, &blobs, &blob_usage, &auth);
        job_list.extend(service_jobs(
            &library,
            &online_depots,
            &esx_depots,
            &sync_parts,
        ));
        job_list.push(Arc::new(CatalogService::job(
            Arc::clone(&store),
            Arc::clone(&blobs),
            catalog_settings.clone(),
            Arc::clone(&catalog_cache),
        )));
        job_list.extend(extra_jobs);
        let tasks = TaskEngine::new(
            store.clone(),
            EngineSettings {
                node_id: data_dir.node_id().to_owned(),
                workers: config.tasks.workers,
                lease: config.tasks.lease,
                // A dead replica's tasks are taken over within a lease of its lease's end.
                housekeeping_interval: config.tasks.lease.min(std::time::Duration::from_mins(1)),
                retention: config.tasks.retention,
                clock: Arc::clone(&clock),
                ..EngineSettings::default()
            },
            job_list,
        );
        let catalogs = Arc::new(CatalogService::new(
            Arc::clone(&store),
            Arc::clone(&blobs),
            catalog_settings,
            catalog_cache,
            Arc::clone(&tasks),
        ));
        let depot = Arc::new(DepotService::new(sync_parts, Arc::clone(&tasks)));
        let public = Arc::new(config.public_base()?);
        Ok(Self::from_parts(AppParts {
            config: Arc::new(config),
            store,
            blobs,
            blob_usage,
            services: Services {
                auth,
                tasks,
                public,
            },
            catalogs,
            depot,
            library,
            uploads,
            online_depots,
            esx_depots,
            clock,
            stopping: Arc::new(watch::channel(false).0),
            _database_lock: database_lock,
        }))
    }

    fn from_parts(parts: AppParts) -> Self {
        Self {
            parts: Arc::new(parts),
            extra_vsphere_operations: Vec::new(),
        }
    }

    /// Creates the built-in administrator if missing; returns a generated password.
    pub async fn bootstrap_admin(
        &self,
        password: Option<String>,
    ) -> anyhow::Result<Option<Secret>> {
        Ok(self
            .services
            .auth
            .ensure_admin(password.map(Secret::new))
            .await?)
    }

    /// Recovers interrupted tasks and starts the task workers.
    pub async fn start(&self) -> anyhow::Result<()> {
        let report = self.services.tasks.recover().await?;
        if report.resumed + report.failed > 0 {
            info!(
                resumed = report.resumed,
                failed = report.failed,
                "recovered tasks interrupted by the last stop"
            );
        }
        self.services.tasks.start();
        jobs::schedule_housekeeping(self);
        if let Some(input) = configured_depot(&self.config)? {
            self.depot
                .apply_configured(input)
                .await
                .context("the [depot] settings of the configuration are not usable")?;
        }
        if let Some(schedule) = Schedule::parse(&self.config.depot.schedule)? {
            tokio::spawn(depot_sync::run_schedule(
                Arc::clone(&self.depot),
                Arc::clone(&self.store),
                schedule,
                Arc::clone(&self.clock),
                self.stopping.subscribe(),
            ));
        }
        Ok(())
    }

    /// Stops background work started by [`App::start`] (the sync schedule).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// The complete HTTP router.
    pub fn router(&self) -> Router {
        let s = self.services.clone();
        Router::new()
            .nest(
                "/fleet-lcm",
                depot_api_fleet_lcm::router(s.clone(), Arc::clone(&self.depot)),
            )
            .nest(
                "/api",
                depot_api_vsphere::router(self.clone(), Arc::new(self.vsphere_registry())),
            )
            .nest(
                "/rest",
                depot_api_vsphere::legacy::router(
                    self.clone(),
                    Arc::new(self.vsphere_registry()),
                    self.session_cookie(),
                ),
            )
            .route(
                "/rest/",
                axum::routing::any(depot_api_vsphere::legacy::unknown_root),
            )
            .nest(
                "/v1",
                depot_api_sddc_manager::router(
                    s.clone(),
                    Arc::clone(&self.catalogs),
                    Arc::clone(&self.depot),
                ),
            )
            .nest("/depot", downstream::router(self.downstream_state()))
            .nest(
                "/cls/vcsp/lib",
                crate::vcsp::router(self.library.clone(), Arc::clone(&self.services.auth)),
            )
            .merge(crate::cls_transfer::router(self.library.clone()))
            .merge(depot_api_vsphere::vum_upload::router(
                depot_api_vsphere::vum_upload::UploadState {
                    services: s.clone(),
                    uploads: self.uploads.clone(),
                },
            ))
            .merge(ops::router(self.clone()))
            .fallback(depot_http::unknown_route)
            .layer(DefaultBodyLimit::max(self.config.max_body_bytes))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(TrustedProxies::new(
                    self.config.auth.trusted_proxies.clone(),
                )),
                depot_http::client_addr::layer,
            ))
            .layer(axum::middleware::from_fn(depot_http::metrics::layer))
            .layer(axum::middleware::from_fn(depot_http::request_id::layer))
    }
}

impl App {
    /// Who may read `/depot/`, from the configuration.
    fn downstream_state(&self) -> DownstreamState {
        let access = if self.config.downstream.anonymous {
            Access::Anonymous
        } else if let Some(user) = &self.config.downstream.user {
            Access::User(user.clone())
        } else {
            Access::AnyUser
        };
        DownstreamState {
            store: Arc::clone(&self.store),
            blobs: Arc::clone(&self.blobs),
            auth: Arc::clone(&self.services.auth),
            access: Arc::new(access),
            esx: Arc::default(),
            in_use: self.esx_depots.in_use().clone(),
        }
    }

    /// The registry of every vSphere operation served: CIS, the depot's datastore,
    /// and any added to this app.
    pub fn vsphere_registry(&self) -> depot_api_vsphere::Registry<App> {
        let mut extra = depot_api_vsphere::ops::datastore::operations();
        extra.extend(self.extra_vsphere_operations.iter().cloned());
        depot_api_vsphere::registry(extra)
    }

    /// The legacy `/rest` login's cookie is `Secure` unless the server itself speaks
    /// plain HTTP (`plain_http`), where a client would never send it back.
    fn session_cookie(&self) -> depot_api_vsphere::legacy::SessionCookie {
        depot_api_vsphere::legacy::SessionCookie {
            secure: !self.config.plain_http,
        }
    }
}

impl FromRef<App> for ContentLibrary {
    fn from_ref(app: &App) -> ContentLibrary {
        app.library.clone()
    }
}

impl FromRef<App> for OnlineDepots {
    fn from_ref(app: &App) -> OnlineDepots {
        app.online_depots.clone()
    }
}

impl FromRef<App> for EsxDepots {
    fn from_ref(app: &App) -> EsxDepots {
        app.esx_depots.clone()
    }
}

impl FromRef<App> for Services {
    fn from_ref(app: &App) -> Services {
        app.services.clone()
    }
}

/// Users, sessions and tokens, as `[auth]` configures them.
fn auth_service(
    config: &Config,
    store: &Arc<dyn MetadataStore>,
    clock: &Arc<dyn Clock>,
) -> Arc<AuthService> {
    Arc::new(AuthService::new(
        Arc::clone(store),
        AuthSettings {
            session_idle: config.auth.session_idle,
            refresh_idle: config.auth.refresh_idle,
            session_max_lifetime: config.auth.session_max_lifetime,
            refresh_max_lifetime: config.auth.refresh_max_lifetime,
            cache_ttl: config.auth.session_cache,
            hash_concurrency: config.auth.hash_concurrency(),
            hash_queue: config.auth.max_queued_hashes,
            clock: Arc::clone(clock),
        },
    ))
}

/// The uploaded-files and offline depots services over the server's stores, with the
/// `[esx]` settings.
fn esx_services(
    config: &Config,
    store: &Arc<dyn MetadataStore>,
    blobs: &Arc<dyn BlobStore>,
    sealer: &Arc<SecretBox>,
    clock: &Arc<dyn Clock>,
) -> (Uploads, EsxDepots) {
    let uploads = Uploads::new(
        Arc::clone(store),
        Arc::clone(blobs),
        Arc::clone(clock),
        config.esx.uploads(),
    );
    let depots = EsxDepots::new(
        Arc::clone(store),
        Arc::clone(blobs),
        uploads.clone(),
        Arc::clone(sealer),
        Arc::clone(clock),
        config.esx.depots(),
    );
    (uploads, depots)
}

/// The jobs of the content library, the ESX offline and online depots and the depot
/// sync.
fn service_jobs(
    library: &ContentLibrary,
    online_depots: &OnlineDepots,
    esx_depots: &EsxDepots,
    sync_parts: &Arc<SyncParts>,
) -> Vec<Arc<dyn Job>> {
    let mut jobs = depot_library::jobs(library);
    jobs.extend(esx_depots.jobs());
    jobs.push(Arc::new(DepotsSyncJob::new(online_depots.clone())));
    jobs.push(Arc::new(DepotDeleteJob::new(online_depots.clone())));
    jobs.push(Arc::new(DepotService::job(Arc::clone(sync_parts))));
    jobs
}

/// The online-depot service; its depots are reached with the `[depot]` section's
/// trusted certificates and proxy, as the depot sync uses them.
fn online_service(
    config: &Config,
    store: &Arc<dyn MetadataStore>,
    blobs: &Arc<dyn BlobStore>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<OnlineDepots> {
    let trusted_certificates = config
        .depot
        .trusted_certificates
        .iter()
        .map(|path| {
            std::fs::read_to_string(path).with_context(|| {
                format!("cannot read depot trusted certificate {}", path.display())
            })
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let settings = OnlineSettings {
        trusted_certificates,
        proxy_url: config.depot.proxy.clone(),
        ..OnlineSettings::default()
    };
    Ok(OnlineDepots::new(
        Arc::clone(store),
        Arc::clone(blobs),
        Arc::clone(clock),
        settings,
    ))
}

/// The blob store the configuration selects (`<data dir>/blobs` or a bucket), checked
/// writable. A bucket's commits and garbage collection are fenced against those of the
/// other processes on `metadata`'s database, when it may have any (PostgreSQL).
pub(crate) async fn open_blobs(
    config: &Config,
    data_dir: &DataDir,
    metadata: &dyn MetadataStore,
) -> anyhow::Result<Arc<dyn BlobStore>> {
    let (blobs, name): (Arc<dyn BlobStore>, String) = match config.blob_store()? {
        BlobStoreChoice::Local => {
            let blob_root = data_dir.path().join("blobs");
            let store = FsBlobStore::open(&blob_root)
                .await
                .with_context(|| format!("cannot open the blob store {}", blob_root.display()))?;
            (Arc::new(store), blob_root.display().to_string())
        }
        BlobStoreChoice::S3 { bucket, prefix } => {
            let spool_dir = data_dir.path().join("spool");
            std::fs::create_dir_all(&spool_dir)
                .with_context(|| format!("cannot create {}", spool_dir.display()))?;
            let credentials = config
                .s3
                .credentials_file
                .as_deref()
                .map(crate::config::read_credentials)
                .transpose()?;
            let s3 = S3Config {
                bucket: bucket.clone(),
                prefix: prefix.clone(),
                endpoint: config.s3.endpoint.clone(),
                region: config.s3.region.clone(),
                credentials,
                allow_http: config.s3.http_allowed(),
                spool_dir,
                copy_limit: depot_blobs::AWS_COPY_LIMIT,
            };
            let name = format!(
                "s3://{bucket}/{prefix} at {}",
                config.s3.endpoint.as_deref().unwrap_or("AWS S3")
            );
            let store = match DatabaseFence::of(metadata) {
                Some(fence) => {
                    info!("blob commits and garbage collection fenced through the database");
                    S3BlobStore::with_fence(&s3, fence)
                }
                None => S3BlobStore::new(&s3),
            }
            .with_context(|| format!("cannot set up the blob store {name}"))?;
            (Arc::new(store), name)
        }
    };
    blobs
        .check_writable()
        .await
        .with_context(|| format!("the blob store {name} is not writable"))?;
    info!(blob_store = %name, "blob store ready");
    Ok(blobs)
}

impl FromRef<App> for Arc<dyn BlobStore> {
    fn from_ref(app: &App) -> Arc<dyn BlobStore> {
        Arc::clone(&app.blobs)
    }
}

/// The sync's fixed configuration from `[depot]`.
fn sync_config(config: &Config) -> SyncConfig {
    SyncConfig {
        paths: config.depot.paths.clone(),
        proxy: config.depot.proxy.clone(),
        ..SyncConfig::default()
    }
}

/// The depot settings given in `[depot]`, if a URL is.
fn configured_depot(config: &Config) -> anyhow::Result<Option<depot_sync::SettingsInput>> {
    use depot_sync::{AccountInput, ConfigurationInput, SettingsInput};
    let d = &config.depot;
    let Some(url) = d.url.clone() else {
        return Ok(None);
    };
    let certificates = d
        .trusted_certificates
        .iter()
        .map(|path| {
            std::fs::read_to_string(path).with_context(|| {
                format!("cannot read depot trusted certificate {}", path.display())
            })
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let account = AccountInput {
        username: d.username.clone(),
        password: d.password.clone(),
        download_token: d.download_token.clone(),
        activation_code: None,
    };
    let (vmware_account, offline_account) = if d.offline {
        (None, Some(account))
    } else {
        (Some(account), None)
    };
    Ok(Some(SettingsInput {
        vmware_account,
        offline_account,
        configuration: Some(ConfigurationInput {
            is_offline_depot: Some(d.offline),
            url: Some(url),
            trusted_certificates: Some(certificates),
            ..ConfigurationInput::default()
        }),
    }))
}

/// The catalog settings: the import directory (created if missing) and the trust
/// anchors read from their PEM files.
fn catalog_settings(config: &Config) -> anyhow::Result<CatalogSettings> {
    let import_dir = config.import_dir();
    std::fs::create_dir_all(&import_dir).with_context(|| {
        format!(
            "cannot create the import directory {}",
            import_dir.display()
        )
    })?;
    let mut trust = TrustStore::new();
    for path in &config.catalog.trust {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read catalog trust file {}", path.display()))?;
        trust
            .add_pem(&pem)
            .with_context(|| format!("catalog trust file {} is not usable", path.display()))?;
    }
    if trust.is_empty() {
        tracing::warn!(
            "no catalog trust anchors configured (--catalog-trust): every catalog upload will be refused as untrusted"
        );
    }
    Ok(CatalogSettings {
        import_dir,
        max_file_bytes: config.catalog.max_file_bytes,
        trust: Arc::new(trust),
    })
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
