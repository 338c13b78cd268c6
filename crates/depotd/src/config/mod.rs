//! Configuration: defaults, then a TOML file (`--config`), then `DEPOTD_*` environment
//! variables, then command-line flags — each later layer wins. Validated once, at
//! start-up; errors name the key.

mod depot;
mod file;
mod flags;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

pub use depot::{DEFAULT_SCHEDULE, DepotConfig, DepotSection, DownstreamSection};
pub use file::{AuthSection, CatalogSection, FileConfig, LogSection, TasksSection};
pub use flags::ConfigFlags;

/// The validated configuration of a server or CLI run.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory holding the database (SQLite), blobs, TLS material and the lock.
    pub data_dir: PathBuf,
    /// Database URL; `None` means SQLite in the data dir.
    pub database_url: Option<String>,
    /// Serve plain HTTP (behind a TLS-terminating proxy).
    pub plain_http: bool,
    /// PEM certificate chain to serve; generated in the data dir when unset.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key matching `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The key that seals stored secrets; `None` means `<data_dir>/secrets.key`, made
    /// on first start. Replicas sharing a database must share the key.
    pub secret_key_file: Option<PathBuf>,
    /// How long shutdown waits for requests and tasks.
    pub shutdown_grace: Duration,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Idle time after which sessions and access tokens end.
    pub session_idle: Duration,
    /// Idle time after which refresh tokens end.
    pub refresh_idle: Duration,
    /// How long a validated session is trusted without asking the database.
    pub session_cache: Duration,
    /// Tasks run at once.
    pub task_workers: usize,
    /// How long finished tasks are kept.
    pub task_retention: Duration,
    /// Task claim lease.
    pub task_lease: Duration,
    /// Product version catalog files are read only under this directory; `None`
    /// means `<data_dir>/import`.
    pub import_dir: Option<PathBuf>,
    /// PEM files of trust anchors (CA certificates, public keys) for catalog signatures.
    pub catalog_trust: Vec<PathBuf>,
    /// Largest catalog or signature file read.
    pub max_catalog_bytes: u64,
    /// The upstream depot, the sync schedule and the depot paths.
    pub depot: DepotConfig,
    /// The depotd user who may read the downstream depot under `/depot/` (`None`: any
    /// depotd user).
    pub downstream_user: Option<String>,
    /// Serve the downstream depot without authentication.
    pub downstream_anonymous: bool,
    /// Log filter (`info`, `depotd=debug,info`, …).
    pub log_level: String,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("./depotd-data"),
            database_url: None,
            plain_http: false,
            tls_cert: None,
            tls_key: None,
            secret_key_file: None,
            shutdown_grace: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            session_idle: Duration::from_mins(30),
            refresh_idle: Duration::from_hours(24),
            session_cache: Duration::from_secs(5),
            task_workers: 4,
            task_retention: Duration::from_hours(168),
            task_lease: Duration::from_secs(30),
            import_dir: None,
            catalog_trust: Vec::new(),
            max_catalog_bytes: 64 * 1024 * 1024,
            depot: DepotConfig::default(),
            downstream_user: None,
            downstream_anonymous: false,
            log_level: "info".to_owned(),
            log_json: false,
        }
    }
}

impl Config {
    /// Builds the configuration from the layers; `flags` already merged flags over env.
    pub fn load(flags: &ConfigFlags) -> anyhow::Result<Self> {
        let file = match &flags.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        let mut c = Config::default();
        file.apply(&mut c)?;
        flags.apply(&mut c)?;
        c.validate()?;
        Ok(c)
    }

    /// The import directory in effect.
    pub fn import_dir(&self) -> PathBuf {
        self.import_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("import"))
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("depotd.db").display()))
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            bail!("tls_cert and tls_key must be given together");
        }
        if self.plain_http && self.tls_cert.is_some() {
            bail!("plain_http cannot be combined with tls_cert/tls_key");
        }
        if self.task_workers == 0 {
            bail!("task_workers must be at least 1");
        }
        if self.task_lease.is_zero() {
            bail!("tasks.lease_seconds must be positive");
        }
        if self.session_idle.is_zero() || self.refresh_idle.is_zero() {
            bail!("session_idle_seconds and refresh_idle_seconds must be positive");
        }
        if let Some(url) = &self.database_url {
            let ok = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !ok {
                bail!("database_url must start with sqlite:, postgres:// or postgresql://");
            }
        }
        depot_sync::Schedule::parse(&self.depot.schedule).map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .with_context(|| format!("log_level {:?} is not a valid filter", self.log_level))?;
        Ok(())
    }
}
