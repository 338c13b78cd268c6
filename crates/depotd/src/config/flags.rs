//! Command-line flags, each also read from a `DEPOTD_*` environment variable (clap
//! resolves flag over env; unset ones fall through to the file and the defaults).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::Config;

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
    /// Log filter [default: info].
    #[arg(long, env = "DEPOTD_LOG_LEVEL", global = true)]
    pub log_level: Option<String>,
    /// Log format, text or json [default: text].
    #[arg(long, env = "DEPOTD_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

impl ConfigFlags {
    /// Writes the flags given (or their env variables) over `c`.
    pub fn apply(&self, c: &mut Config) -> anyhow::Result<()> {
        if let Some(v) = &self.listen {
            c.listen = v
                .parse()
                .with_context(|| format!("--listen {v:?} is not an address:port"))?;
        }
        set(&mut c.data_dir, self.data_dir.clone());
        if let Some(v) = self.database_url.clone().filter(|v| !v.is_empty()) {
            c.database_url = Some(v);
        }
        set(&mut c.plain_http, self.plain_http);
        if self.tls_cert.is_some() {
            c.tls_cert.clone_from(&self.tls_cert);
        }
        if self.tls_key.is_some() {
            c.tls_key.clone_from(&self.tls_key);
        }
        set(
            &mut c.shutdown_grace,
            self.shutdown_grace_seconds.map(Duration::from_secs),
        );
        set(&mut c.max_body_bytes, self.max_body_bytes);
        set(
            &mut c.session_idle,
            self.session_idle_seconds.map(Duration::from_secs),
        );
        set(
            &mut c.refresh_idle,
            self.refresh_idle_seconds.map(Duration::from_secs),
        );
        set(
            &mut c.session_cache,
            self.session_cache_seconds.map(Duration::from_secs),
        );
        set(&mut c.task_workers, self.task_workers);
        set(
            &mut c.task_retention,
            self.task_retention_hours
                .map(|h| Duration::from_secs(h.saturating_mul(3600))),
        );
        set(
            &mut c.task_lease,
            self.task_lease_seconds.map(Duration::from_secs),
        );
        if self.import_dir.is_some() {
            c.import_dir.clone_from(&self.import_dir);
        }
        if !self.catalog_trust.is_empty() {
            c.catalog_trust.clone_from(&self.catalog_trust);
        }
        set(&mut c.max_catalog_bytes, self.max_catalog_bytes);
        set(&mut c.log_level, self.log_level.clone());
        if let Some(format) = &self.log_format {
            c.log_json = super::file::log_format(format)?;
        }
        Ok(())
    }
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
    }
}
