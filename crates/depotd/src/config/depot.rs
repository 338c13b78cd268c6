//! The `[depot]` and `[downstream]` settings: the upstream depot to sync from (for
//! unattended installs; the API can set it too), the sync schedule and paths, and who may
//! read the downstream depot under `/depot/`.

use std::path::PathBuf;

use depot_sync::SyncPaths;
use serde::{Deserialize, Serialize};

/// Every 6 hours, on the hour (seconds field first).
pub const DEFAULT_SCHEDULE: &str = "0 0 */6 * * *";

/// The upstream depot as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotConfig {
    /// Base URL of the depot (`https://dl.example.com/` or an offline depot's
    /// `https://host:port/`). `None`: not configured here (the API may set it).
    pub url: Option<String>,
    /// An offline depot (Basic auth) rather than an online one (download token).
    pub offline: bool,
    /// User name (offline depot, or an online account).
    pub username: Option<String>,
    /// Password of `username`.
    pub password: Option<String>,
    /// Download token of an online depot.
    pub download_token: Option<String>,
    /// PEM files trusted for the depot's TLS certificate (empty: the platform's roots).
    pub trusted_certificates: Vec<PathBuf>,
    /// HTTP(S) proxy URL.
    pub proxy: Option<String>,
    /// Cron expression of scheduled syncs (six fields, seconds first; five fields are
    /// read as minutes first); empty disables them.
    pub schedule: String,
    /// Depot paths, relative to the base URL.
    pub paths: SyncPaths,
}

impl Default for DepotConfig {
    fn default() -> Self {
        Self {
            url: None,
            offline: false,
            username: None,
            password: None,
            download_token: None,
            trusted_certificates: Vec::new(),
            proxy: None,
            schedule: DEFAULT_SCHEDULE.to_owned(),
            paths: SyncPaths::default(),
        }
    }
}

/// `[depot]` in the file.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DepotSection {
    pub url: Option<String>,
    pub offline: Option<bool>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub download_token: Option<String>,
    pub trusted_certificates: Option<Vec<PathBuf>>,
    pub proxy: Option<String>,
    pub schedule: Option<String>,
    pub paths: Option<SyncPaths>,
}

/// `[downstream]` in the file.
#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DownstreamSection {
    pub user: Option<String>,
    pub anonymous: Option<bool>,
}

impl DepotSection {
    /// Writes the keys present over `c`; empty strings clear optional values.
    pub fn apply(&self, c: &mut DepotConfig) {
        let text = |target: &mut Option<String>, value: &Option<String>| {
            if let Some(v) = value {
                *target = (!v.is_empty()).then(|| v.clone());
            }
        };
        text(&mut c.url, &self.url);
        text(&mut c.username, &self.username);
        text(&mut c.password, &self.password);
        text(&mut c.download_token, &self.download_token);
        text(&mut c.proxy, &self.proxy);
        if let Some(v) = self.offline {
            c.offline = v;
        }
        if let Some(v) = &self.trusted_certificates {
            c.trusted_certificates.clone_from(v);
        }
        if let Some(v) = &self.schedule {
            c.schedule.clone_from(v);
        }
        if let Some(v) = &self.paths {
            c.paths = v.clone();
        }
    }
}
