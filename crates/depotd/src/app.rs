//! Wiring: stores, services, the task engine and the HTTP router of one server.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use depot_auth::{AuthService, AuthSettings, Secret};
use depot_blobs::{BlobStore, FsBlobStore};
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
        let mut job_list = jobs::all(Arc::clone(&store), Arc::clone(&blobs), Arc::clone(&auth));
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
        Ok(Self {
            config: Arc::new(config),
            store,
            blobs,
            services: Services { auth, tasks },
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
                depot_api_vsphere::router(s.clone(), vsphere_operations()),
            )
            .nest("/v1", depot_api_sddc_manager::router(s))
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
        depot_api_vsphere::registry(vsphere_operations())
    }
}

/// The vSphere operations of the other vSphere families (none yet beyond CIS).
fn vsphere_operations() -> Vec<&'static depot_api_vsphere::Operation> {
    Vec::new()
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
