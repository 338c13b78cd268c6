//! The TOML configuration file: every key optional, unknown keys refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::{Config, DepotSection, DownstreamSection};

/// The file's contents. `docs/config.example.toml` lists every key.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub plain_http: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub secret_key_file: Option<PathBuf>,
    pub shutdown_grace_seconds: Option<u64>,
    pub max_body_bytes: Option<usize>,
    #[serde(default)]
    pub auth: AuthSection,
    #[serde(default)]
    pub tasks: TasksSection,
    #[serde(default)]
    pub catalog: CatalogSection,
    #[serde(default)]
    pub depot: DepotSection,
    #[serde(default)]
    pub downstream: DownstreamSection,
    #[serde(default)]
    pub log: LogSection,
}

/// `[catalog]`.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    pub import_dir: Option<PathBuf>,
    pub trust: Option<Vec<PathBuf>>,
    pub max_file_bytes: Option<u64>,
}

/// `[auth]`.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub session_idle_seconds: Option<u64>,
    pub refresh_idle_seconds: Option<u64>,
    pub session_cache_seconds: Option<u64>,
}

/// `[tasks]`.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TasksSection {
    pub workers: Option<usize>,
    pub retention_hours: Option<u64>,
    pub lease_seconds: Option<u64>,
}

/// `[log]`.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub level: Option<String>,
    pub format: Option<String>,
}

impl FileConfig {
    /// Reads and parses a file; errors name the file and the bad key.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("config file {}", path.display()))
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    /// Writes the keys present over `c`.
    pub fn apply(&self, c: &mut Config) -> anyhow::Result<()> {
        if let Some(v) = &self.listen {
            c.listen = v
                .parse()
                .with_context(|| format!("listen {v:?} is not an address:port"))?;
        }
        set(&mut c.data_dir, self.data_dir.clone());
        if let Some(v) = self.database_url.clone().filter(|v| !v.is_empty()) {
            c.database_url = Some(v);
        }
        set(&mut c.plain_http, self.plain_http);
        c.tls_cert = self
            .tls_cert
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or(c.tls_cert.take());
        c.tls_key = self
            .tls_key
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or(c.tls_key.take());
        c.secret_key_file = self
            .secret_key_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or(c.secret_key_file.take());
        set(
            &mut c.shutdown_grace,
            self.shutdown_grace_seconds.map(Duration::from_secs),
        );
        set(&mut c.max_body_bytes, self.max_body_bytes);
        set(
            &mut c.session_idle,
            self.auth.session_idle_seconds.map(Duration::from_secs),
        );
        set(
            &mut c.refresh_idle,
            self.auth.refresh_idle_seconds.map(Duration::from_secs),
        );
        set(
            &mut c.session_cache,
            self.auth.session_cache_seconds.map(Duration::from_secs),
        );
        set(&mut c.task_workers, self.tasks.workers);
        set(
            &mut c.task_retention,
            self.tasks
                .retention_hours
                .map(|h| Duration::from_secs(h.saturating_mul(3600))),
        );
        set(
            &mut c.task_lease,
            self.tasks.lease_seconds.map(Duration::from_secs),
        );
        c.import_dir = self
            .catalog
            .import_dir
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or(c.import_dir.take());
        set(&mut c.catalog_trust, self.catalog.trust.clone());
        set(&mut c.max_catalog_bytes, self.catalog.max_file_bytes);
        self.depot.apply(&mut c.depot);
        if let Some(user) = &self.downstream.user {
            c.downstream_user = (!user.is_empty()).then(|| user.clone());
        }
        set(&mut c.downstream_anonymous, self.downstream.anonymous);
        set(&mut c.log_level, self.log.level.clone());
        if let Some(format) = &self.log.format {
            c.log_json = log_format(format)?;
        }
        Ok(())
    }
}

/// `text` or `json`.
pub(super) fn log_format(value: &str) -> anyhow::Result<bool> {
    match value {
        "text" => Ok(false),
        "json" => Ok(true),
        other => bail!("log format {other:?} must be text or json"),
    }
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
    }
}
