//! Command-line flags, each also read from a `DEPOTD_*` environment variable (clap
//! resolves flag over env; unset ones fall through to the file and the defaults).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::file::{AuthSection, CatalogSection, FileConfig, LogSection, TasksSection};
use super::{Config, DepotSection, DownstreamSection};

/// Flags shared by every subcommand that opens the data dir.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigFlags {
    /// TOML configuration file.
    #[arg(long, env = "DEPOTD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long, env = "DEPOTD_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Data directory [default: ./depotd-data].
    #[arg(long, env = "DEPOTD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite:PATH or postgres://…) [default: SQLite in the data dir].
    #[arg(long, env = "DEPOTD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Serve plain HTTP (behind a TLS-terminating proxy).
    #[arg(long, env = "DEPOTD_PLAIN_HTTP", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub plain_http: Option<bool>,
    /// PEM certificate chain to serve.
    #[arg(long, env = "DEPOTD_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "DEPOTD_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,
    /// The key sealing stored secrets: 32 bytes, raw or as 64 hex digits; every
    /// replica on one database needs the same [default: <data-dir>/secrets.key].
    #[arg(long, env = "DEPOTD_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// Seconds shutdown waits for requests and tasks [default: 30].
    #[arg(long, env = "DEPOTD_SHUTDOWN_GRACE_SECONDS", global = true)]
    pub shutdown_grace_seconds: Option<u64>,
    /// Largest JSON request body in bytes [default: 1048576].
    #[arg(long, env = "DEPOTD_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<usize>,
    /// Idle seconds after which sessions and access tokens end [default: 1800].
    #[arg(long, env = "DEPOTD_SESSION_IDLE_SECONDS", global = true)]
    pub session_idle_seconds: Option<u64>,
    /// Idle seconds after which refresh tokens end [default: 86400].
    #[arg(long, env = "DEPOTD_REFRESH_IDLE_SECONDS", global = true)]
    pub refresh_idle_seconds: Option<u64>,
    /// Seconds a validated session is trusted without asking the database [default: 5].
    #[arg(long, env = "DEPOTD_SESSION_CACHE_SECONDS", global = true)]
    pub session_cache_seconds: Option<u64>,
    /// Tasks run at once [default: 4].
    #[arg(long, env = "DEPOTD_TASK_WORKERS", global = true)]
    pub task_workers: Option<usize>,
    /// Hours finished tasks are kept [default: 168].
    #[arg(long, env = "DEPOTD_TASK_RETENTION_HOURS", global = true)]
    pub task_retention_hours: Option<u64>,
    /// Seconds a task claim lasts without renewal [default: 30].
    #[arg(long, env = "DEPOTD_TASK_LEASE_SECONDS", global = true)]
    pub task_lease_seconds: Option<u64>,
    /// Directory catalog files are read from [default: <data-dir>/import].
    #[arg(long, env = "DEPOTD_IMPORT_DIR", global = true)]
    pub import_dir: Option<PathBuf>,
    /// PEM file of catalog signature trust anchors (repeatable; env: comma-separated).
    #[arg(
        long,
        env = "DEPOTD_CATALOG_TRUST",
        global = true,
        value_delimiter = ','
    )]
    pub catalog_trust: Vec<PathBuf>,
    /// Largest catalog or signature file in bytes [default: 67108864].
    #[arg(long, env = "DEPOTD_MAX_CATALOG_BYTES", global = true)]
    pub max_catalog_bytes: Option<u64>,
    /// Base URL of the upstream depot to sync from.
    #[arg(long, env = "DEPOTD_DEPOT_URL", global = true)]
    pub depot_url: Option<String>,
    /// The upstream depot is an offline depot (Basic auth) [default: false].
    #[arg(long, env = "DEPOTD_DEPOT_OFFLINE", global = true)]
    pub depot_offline: Option<bool>,
    /// User name at the upstream depot.
    #[arg(long, env = "DEPOTD_DEPOT_USERNAME", global = true)]
    pub depot_username: Option<String>,
    /// Password at the upstream depot (prefer the environment variable).
    #[arg(
        long,
        env = "DEPOTD_DEPOT_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub depot_password: Option<String>,
    /// Download token of an online depot (prefer the environment variable).
    #[arg(
        long,
        env = "DEPOTD_DEPOT_DOWNLOAD_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub depot_download_token: Option<String>,
    /// Cron expression of scheduled syncs; empty disables [default: 0 0 */6 * * *].
    #[arg(long, env = "DEPOTD_DEPOT_SCHEDULE", global = true)]
    pub depot_schedule: Option<String>,
    /// The depotd user who may read /depot/ [default: any user].
    #[arg(long, env = "DEPOTD_DOWNSTREAM_USER", global = true)]
    pub downstream_user: Option<String>,
    /// Serve /depot/ without authentication [default: false].
    #[arg(long, env = "DEPOTD_DOWNSTREAM_ANONYMOUS", global = true)]
    pub downstream_anonymous: Option<bool>,
    /// Log filter [default: info].
    #[arg(long, env = "DEPOTD_LOG_LEVEL", global = true)]
    pub log_level: Option<String>,
    /// Log format, text or json [default: text].
    #[arg(long, env = "DEPOTD_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

impl ConfigFlags {
    /// Writes the flags given (or their env variables) over `c`: the flags are the
    /// same keys as the file's, so they are applied as one more file layer.
    pub fn apply(&self, c: &mut Config) -> anyhow::Result<()> {
        self.as_file_layer()
            .apply(c)
            .context("command-line flag or DEPOTD_* variable")
    }

    fn as_file_layer(&self) -> FileConfig {
        FileConfig {
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            plain_http: self.plain_http,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            secret_key_file: self.secret_key_file.clone(),
            shutdown_grace_seconds: self.shutdown_grace_seconds,
            max_body_bytes: self.max_body_bytes,
            auth: AuthSection {
                session_idle_seconds: self.session_idle_seconds,
                refresh_idle_seconds: self.refresh_idle_seconds,
                session_cache_seconds: self.session_cache_seconds,
            },
            tasks: TasksSection {
                workers: self.task_workers,
                retention_hours: self.task_retention_hours,
                lease_seconds: self.task_lease_seconds,
            },
            catalog: CatalogSection {
                import_dir: self.import_dir.clone(),
                trust: (!self.catalog_trust.is_empty()).then(|| self.catalog_trust.clone()),
                max_file_bytes: self.max_catalog_bytes,
            },
            depot: DepotSection {
                url: self.depot_url.clone(),
                offline: self.depot_offline,
                username: self.depot_username.clone(),
                password: self.depot_password.clone(),
                download_token: self.depot_download_token.clone(),
                schedule: self.depot_schedule.clone(),
                ..DepotSection::default()
            },
            downstream: DownstreamSection {
                user: self.downstream_user.clone(),
                anonymous: self.downstream_anonymous,
            },
            log: LogSection {
                level: self.log_level.clone(),
                format: self.log_format.clone(),
            },
        }
    }
}
