//! Wiring: stores, services, the task engine and the HTTP router of one server.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use depot_auth::{AuthService, AuthSettings, Secret};
use depot_blobs::{BlobStore, FsBlobStore};
use depot_catalog::TrustStore;
use depot_catalog_service::{CatalogService, CatalogSettings, CurrentCache};
use depot_http::Services;
use depot_metadata::MetadataStore;
use depot_tasks::{EngineSettings, Job, TaskEngine};
use tracing::info;

use crate::config::Config;
use crate::data_dir::DataDir;
use crate::{jobs, ops};

/// Everything a running server holds.
#[derive(Clone)]
pub struct App {
    /// The configuration in effect.
    pub config: Arc<Config>,
    /// Metadata store.
    pub store: Arc<dyn MetadataStore>,
    /// Blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// Services shared by the routers.
    pub services: Services,
    /// Product version catalogs.
    pub catalogs: Arc<CatalogService>,
    /// vSphere operations added to the built-in ones (tests add their own).
    pub extra_vsphere_operations: Vec<&'static depot_api_vsphere::Operation>,
}

impl App {
    /// Opens the stores in `data_dir`, runs migrations and builds the services. The
    /// engine is not started: call [`App::start`]. `extra_jobs` lets tests add jobs.
    pub async fn open(
        config: Config,
        data_dir: &DataDir,
        extra_jobs: Vec<Arc<dyn Job>>,
    ) -> anyhow::Result<Self> {
        // Installed before the first request so every request is counted.
        ops::recorder();
        let url = config.database_url();
        let store = depot_metadata::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        info!(backend = store.backend(), "metadata store ready");
        let blob_root = data_dir.path().join("blobs");
        let blobs: Arc<dyn BlobStore> = Arc::new(
            FsBlobStore::open(&blob_root)
                .await
                .with_context(|| format!("cannot open the blob store {}", blob_root.display()))?,
        );
        blobs
            .check_writable()
            .await
            .with_context(|| format!("the blob store {} is not writable", blob_root.display()))?;
        let auth = Arc::new(AuthService::new(
            Arc::clone(&store),
            AuthSettings {
                session_idle: config.session_idle,
                refresh_idle: config.refresh_idle,
                cache_ttl: config.session_cache,
            },
        ));
        let catalog_settings = catalog_settings(&config)?;
        let catalog_cache = Arc::new(CurrentCache::default());
        let mut job_list = jobs::all(Arc::clone(&store), Arc::clone(&blobs), Arc::clone(&auth));
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
                workers: config.task_workers,
                lease: config.task_lease,
                retention: config.task_retention,
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
        Ok(Self {
            config: Arc::new(config),
            store,
            blobs,
            services: Services { auth, tasks },
            catalogs,
            extra_vsphere_operations: Vec::new(),
        })
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
        Ok(())
    }

    /// The complete HTTP router.
    pub fn router(&self) -> Router {
        let s = self.services.clone();
        Router::new()
            .nest("/fleet-lcm", depot_api_fleet_lcm::router(s.clone()))
            .nest(
                "/api",
                depot_api_vsphere::router(s.clone(), self.vsphere_operations()),
            )
            .nest(
                "/v1",
                depot_api_sddc_manager::router(s, Arc::clone(&self.catalogs)),
            )
            .merge(ops::router(self.clone()))
            .fallback(depot_http::unknown_route)
            .layer(DefaultBodyLimit::max(self.config.max_body_bytes))
            .layer(axum::middleware::from_fn(depot_http::metrics::layer))
            .layer(axum::middleware::from_fn(depot_http::request_id::layer))
    }
}

impl App {
    /// The registry of every vSphere operation served.
    pub fn vsphere_registry(&self) -> depot_api_vsphere::Registry {
        depot_api_vsphere::registry(self.vsphere_operations())
    }

    /// The vSphere operations of the other vSphere families (none yet beyond CIS),
    /// plus any added to this app.
    fn vsphere_operations(&self) -> Vec<&'static depot_api_vsphere::Operation> {
        self.extra_vsphere_operations.clone()
    }
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
    for path in &config.catalog_trust {
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
        max_file_bytes: config.max_catalog_bytes,
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
