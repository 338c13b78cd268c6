//! The `[depot]` and `[downstream]` settings: the upstream depot to sync from (for
//! unattended installs; the API can set it too), the sync schedule and paths, and who may
//! read the downstream depot under `/depot/`.

use std::path::PathBuf;

use clap::Args;
use depot_model::Secret;
use depot_sync::SyncPaths;
use serde::{Deserialize, Serialize};

use super::values;

/// Every 6 hours, on the hour (seconds field first).
pub const DEFAULT_SCHEDULE: &str = "0 0 */6 * * *";

/// `[depot]`: the upstream depot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepotConfig {
    /// Base URL of the depot (`https://dl.example.com/` or an offline depot's
    /// `https://host:port/`). `None`: not configured here (the API may set it).
    #[serde(with = "values::optional")]
    pub url: Option<String>,
    /// An offline depot (Basic auth) rather than an online one (download token).
    pub offline: bool,
    /// User name (offline depot, or an online account).
    #[serde(with = "values::optional")]
    pub username: Option<String>,
    /// Password of `username`.
    #[serde(with = "values::secret")]
    pub password: Option<Secret>,
    /// Download token of an online depot.
    #[serde(with = "values::secret")]
    pub download_token: Option<Secret>,
    /// PEM files trusted for the depot's TLS certificate (empty: the platform's roots).
    pub trusted_certificates: Vec<PathBuf>,
    /// HTTP(S) proxy URL.
    #[serde(with = "values::optional")]
    pub proxy: Option<String>,
    /// Cron expression of scheduled syncs (six fields, seconds first; five fields are
    /// read as minutes first); empty disables them.
    pub schedule: String,
    /// Depot paths, relative to the base URL (`[depot.paths]`).
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

/// The flags of `[depot]`; an empty value clears the file's.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct DepotFlags {
    /// Base URL of the upstream depot to sync from.
    #[arg(long = "depot-url", value_name = "DEPOT_URL", env = "DEPOTD_DEPOT_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The upstream depot is an offline depot (Basic auth) [default: false].
    #[arg(
        long = "depot-offline",
        value_name = "DEPOT_OFFLINE",
        env = "DEPOTD_DEPOT_OFFLINE"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    /// User name at the upstream depot.
    #[arg(
        long = "depot-username",
        value_name = "DEPOT_USERNAME",
        env = "DEPOTD_DEPOT_USERNAME"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password at the upstream depot (prefer the environment variable).
    #[arg(
        long = "depot-password",
        value_name = "DEPOT_PASSWORD",
        env = "DEPOTD_DEPOT_PASSWORD",
        hide_env_values = true
    )]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "values::expose"
    )]
    pub password: Option<Secret>,
    /// Download token of an online depot (prefer the environment variable).
    #[arg(
        long = "depot-download-token",
        value_name = "DEPOT_DOWNLOAD_TOKEN",
        env = "DEPOTD_DEPOT_DOWNLOAD_TOKEN",
        hide_env_values = true
    )]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "values::expose"
    )]
    pub download_token: Option<Secret>,
    /// Cron expression of scheduled syncs; empty disables [default: 0 0 */6 * * *].
    #[arg(
        long = "depot-schedule",
        value_name = "DEPOT_SCHEDULE",
        env = "DEPOTD_DEPOT_SCHEDULE"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// `[downstream]`: who may read the downstream depot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DownstreamConfig {
    /// The depotd user who may read the downstream depot under `/depot/` (`None`: any
    /// depotd user).
    #[serde(with = "values::optional")]
    pub user: Option<String>,
    /// Serve the downstream depot without authentication.
    pub anonymous: bool,
}

/// The flags of `[downstream]`.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct DownstreamFlags {
    /// The depotd user who may read /depot/ [default: any user].
    #[arg(
        long = "downstream-user",
        value_name = "DOWNSTREAM_USER",
        env = "DEPOTD_DOWNSTREAM_USER"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Serve /depot/ without authentication [default: false].
    #[arg(
        long = "downstream-anonymous",
        value_name = "DOWNSTREAM_ANONYMOUS",
        env = "DEPOTD_DOWNSTREAM_ANONYMOUS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
}
