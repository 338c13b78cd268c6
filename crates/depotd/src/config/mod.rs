//! Configuration: defaults, then a TOML file (`--config`), then `DEPOTD_*` environment
//! variables, then command-line flags — each later layer wins (clap resolves a flag over
//! its variable). Validated once, at start-up; errors name the key.
//!
//! A key is declared once: a field of its section's struct (`Config` for the top level,
//! `AuthConfig` for `[auth]`, …) gives its TOML name, type, doc and default. If it has a
//! flag, a field of the same serde name in the section's `*Flags` struct, beside it,
//! gives the flag and variable. The flags given are serialized as one more TOML layer
//! (see `layers`), so nothing copies values from one struct to another.

mod auth;
mod blobs;
mod catalog;
mod depot;
mod esx;
mod http;
mod layers;
mod library;
mod log;
mod tasks;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use depot_model::Secret;
use serde::{Deserialize, Serialize};

pub use auth::{AuthConfig, AuthFlags};
pub use blobs::{BlobStoreChoice, S3Flags, S3Section, parse_blob_store, read_credentials};
pub use catalog::{CatalogConfig, CatalogFlags, CatalogTrustFlags};
pub use depot::{DEFAULT_SCHEDULE, DepotConfig, DepotFlags, DownstreamConfig, DownstreamFlags};
pub use esx::EsxConfig;
pub use http::{HttpConfig, HttpFlags};
pub use library::LibraryConfig;
pub use log::{LogConfig, LogFlags, LogFormat};
pub use tasks::{TasksConfig, TasksFlags};

/// The validated configuration of a server or CLI run: the TOML file's top level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory holding the database (SQLite), blobs, TLS material and the lock.
    pub data_dir: PathBuf,
    /// Database URL (it may hold a password); `None` means SQLite in the data dir.
    #[serde(with = "values::secret")]
    pub database_url: Option<Secret>,
    /// Where blobs are stored: `s3://BUCKET/PREFIX` (see `[s3]`); `None` means
    /// `<data_dir>/blobs`.
    #[serde(with = "values::optional")]
    pub blob_store: Option<String>,
    /// `[s3]`: the object store of `blob_store = "s3://…"`.
    pub s3: S3Section,
    /// Serve plain HTTP (behind a TLS-terminating proxy).
    pub plain_http: bool,
    /// The base URL clients reach the server by (`https://depot.example.com`), for the
    /// absolute URLs it hands out; `None`: the request's `Host` and the served scheme.
    #[serde(with = "values::optional")]
    pub public_url: Option<String>,
    /// PEM certificate chain to serve; generated in the data dir when unset.
    #[serde(with = "values::optional")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key matching `tls_cert`.
    #[serde(with = "values::optional")]
    pub tls_key: Option<PathBuf>,
    /// The key that seals stored secrets; `None` means `<data_dir>/secrets.key`, made
    /// on first start. Replicas sharing a database must share the key.
    #[serde(with = "values::optional")]
    pub secret_key_file: Option<PathBuf>,
    /// How long shutdown waits for requests and tasks.
    #[serde(rename = "shutdown_grace_seconds", with = "values::seconds")]
    pub shutdown_grace: Duration,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// `[auth]`: session and token lifetimes, password hashing, trusted proxies.
    pub auth: AuthConfig,
    /// `[tasks]`: the task workers.
    pub tasks: TasksConfig,
    /// `[catalog]`: catalog import and signature trust.
    pub catalog: CatalogConfig,
    /// `[log]`: log filter and format.
    pub log: LogConfig,
    /// `[depot]`: the upstream depot, the sync schedule and the depot paths.
    pub depot: DepotConfig,
    /// `[downstream]`: who may read the downstream depot.
    pub downstream: DownstreamConfig,
    /// `[http]`: connection limits and timeouts.
    pub http: HttpConfig,
    /// `[library]`: content-library session lifetimes.
    pub library: LibraryConfig,
    /// `[esx]`: ESX offline depots (uploaded files).
    pub esx: EsxConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("./depotd-data"),
            database_url: None,
            blob_store: None,
            s3: S3Section::default(),
            plain_http: false,
            public_url: None,
            tls_cert: None,
            tls_key: None,
            secret_key_file: None,
            shutdown_grace: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            auth: AuthConfig::default(),
            tasks: TasksConfig::default(),
            catalog: CatalogConfig::default(),
            log: LogConfig::default(),
            depot: DepotConfig::default(),
            downstream: DownstreamConfig::default(),
            http: HttpConfig::default(),
            library: LibraryConfig::default(),
            esx: EsxConfig::default(),
        }
    }
}

/// The flags of every command that loads the configuration: the file, where the data
/// is, and logging. Global, so they may follow a subcommand's own arguments.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct ConfigFlags {
    /// TOML configuration file.
    #[arg(long, env = "DEPOTD_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./depotd-data].
    #[arg(long, env = "DEPOTD_DATA_DIR", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite:PATH or postgres://…) [default: SQLite in the data dir].
    #[arg(
        long,
        env = "DEPOTD_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    #[serde(
        skip_serializing_if = "values::blank_secret",
        serialize_with = "values::expose"
    )]
    pub database_url: Option<Secret>,
    /// Where blobs are stored: s3://BUCKET/PREFIX [default: <data-dir>/blobs].
    #[arg(
        long,
        env = "DEPOTD_BLOB_STORE",
        global = true,
        value_name = "s3://BUCKET/PREFIX"
    )]
    #[serde(skip_serializing_if = "values::blank")]
    pub blob_store: Option<String>,
    /// `[s3]`.
    #[command(flatten)]
    pub s3: S3Flags,
    /// `[log]`.
    #[command(flatten)]
    pub log: LogFlags,
}

/// The flags of `depotd serve`: every key that has one.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct ServeFlags {
    /// The flags every command takes.
    #[command(flatten)]
    #[serde(flatten)]
    pub common: ConfigFlags,
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long, env = "DEPOTD_LISTEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Serve plain HTTP (behind a TLS-terminating proxy).
    #[arg(long, env = "DEPOTD_PLAIN_HTTP", num_args = 0..=1, default_missing_value = "true")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain_http: Option<bool>,
    /// The base URL clients reach the server by, for the absolute URLs it hands out
    /// (upload and download endpoints, publish URLs) [default: from each request's Host].
    #[arg(long, env = "DEPOTD_PUBLIC_URL")]
    #[serde(skip_serializing_if = "values::blank")]
    pub public_url: Option<String>,
    /// PEM certificate chain to serve.
    #[arg(long, env = "DEPOTD_TLS_CERT")]
    #[serde(skip_serializing_if = "values::blank")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "DEPOTD_TLS_KEY")]
    #[serde(skip_serializing_if = "values::blank")]
    pub tls_key: Option<PathBuf>,
    /// The key sealing stored secrets: 32 bytes, raw or as 64 hex digits; every
    /// replica on one database needs the same [default: <data-dir>/secrets.key].
    #[arg(long, env = "DEPOTD_SECRET_KEY_FILE")]
    #[serde(skip_serializing_if = "values::blank")]
    pub secret_key_file: Option<PathBuf>,
    /// Seconds shutdown waits for requests and tasks [default: 30].
    #[arg(long, env = "DEPOTD_SHUTDOWN_GRACE_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_seconds: Option<u64>,
    /// Largest JSON request body in bytes [default: 1048576].
    #[arg(long, env = "DEPOTD_MAX_BODY_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    /// `[auth]`.
    #[command(flatten)]
    pub auth: AuthFlags,
    /// `[tasks]`.
    #[command(flatten)]
    pub tasks: TasksFlags,
    /// `[catalog]`.
    #[command(flatten)]
    pub catalog: CatalogFlags,
    /// `[depot]`.
    #[command(flatten)]
    pub depot: DepotFlags,
    /// `[downstream]`.
    #[command(flatten)]
    pub downstream: DownstreamFlags,
    /// `[http]`.
    #[command(flatten)]
    pub http: HttpFlags,
}

impl Config {
    /// Builds the configuration from the layers: the defaults, the file `file` if
    /// given, then `flags` (flags already merged over their variables by clap; a
    /// struct of `*Flags` serializing to the file's shape), and validates it.
    pub fn load(file: Option<&Path>, flags: &impl Serialize) -> anyhow::Result<Self> {
        let config = layers::merge(file, flags)?;
        config.validate()?;
        Ok(config)
    }

    /// The import directory in effect.
    pub fn import_dir(&self) -> PathBuf {
        self.catalog
            .import_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("import"))
    }

    /// How the server's public base URL is found.
    pub fn public_base(&self) -> anyhow::Result<depot_http::PublicBase> {
        Ok(depot_http::PublicBase::new(
            self.public_url.as_deref(),
            !self.plain_http,
            &self.listen.to_string(),
        )?)
    }

    /// The blob store in effect.
    pub fn blob_store(&self) -> anyhow::Result<BlobStoreChoice> {
        parse_blob_store(self.blob_store.as_deref())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url.as_ref().map_or_else(
            || format!("sqlite://{}", self.data_dir.join("depotd.db").display()),
            |url| url.expose().to_owned(),
        )
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            bail!("tls_cert and tls_key must be given together");
        }
        if self.plain_http && self.tls_cert.is_some() {
            bail!("plain_http cannot be combined with tls_cert/tls_key");
        }
        if self.tasks.workers == 0 {
            bail!("tasks.workers must be at least 1");
        }
        if self.library.parallel_downloads == 0 {
            bail!("library.parallel_downloads must be at least 1");
        }
        if self.tasks.lease.is_zero() {
            bail!("tasks.lease_seconds must be positive");
        }
        self.auth.validate()?;
        self.http.check().map_err(anyhow::Error::msg)?;
        self.esx.check().map_err(anyhow::Error::msg)?;
        self.public_base()?;
        self.blob_store()?;
        self.s3.check()?;
        if let Some(url) = &self.database_url {
            let url = url.expose();
            let ok = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !ok {
                bail!("database_url must start with sqlite:, postgres:// or postgresql://");
            }
        }
        depot_sync::Schedule::parse(&self.depot.schedule).map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .with_context(|| format!("log.level {:?} is not a valid filter", self.log.level))?;
        Ok(())
    }
}
