//! `[library]`: the content library's session lifetimes, subscription sync interval and
//! the download engine of subscription syncs (parallel files, bandwidth limits).

use std::num::NonZeroU64;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values;

/// `[library]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibraryConfig {
    /// How long an update session lives without a keep-alive or bytes arriving; then
    /// it is canceled and its partial uploads dropped.
    #[serde(rename = "update_session_timeout_seconds", with = "values::seconds")]
    pub update_session_timeout: Duration,
    /// How long a download session lives without a keep-alive.
    #[serde(rename = "download_session_timeout_seconds", with = "values::seconds")]
    pub download_session_timeout: Duration,
    /// How often subscribed libraries with `automatic_sync_enabled` sync.
    #[serde(rename = "sync_interval_seconds", with = "values::seconds")]
    pub sync_interval: Duration,
    /// Files a subscription sync downloads at the same time (at least 1).
    pub parallel_downloads: usize,
    /// The bandwidth all subscription syncs share, in bytes per second; 0: unlimited.
    pub download_bytes_per_second: u64,
    /// The bandwidth of each subscription sync, in bytes per second; 0: unlimited.
    pub sync_download_bytes_per_second: u64,
}

impl Default for LibraryConfig {
    fn default() -> Self {
        let service = depot_library::LibraryConfig::default();
        Self {
            update_session_timeout: service.update_session_timeout,
            download_session_timeout: service.download_session_timeout,
            sync_interval: service.sync_interval,
            parallel_downloads: service.parallel_downloads,
            download_bytes_per_second: service.download_bytes_per_second.map_or(0, NonZeroU64::get),
            sync_download_bytes_per_second: service
                .sync_download_bytes_per_second
                .map_or(0, NonZeroU64::get),
        }
    }
}

impl LibraryConfig {
    /// The service's settings.
    pub fn service(&self) -> depot_library::LibraryConfig {
        depot_library::LibraryConfig {
            update_session_timeout: self.update_session_timeout,
            download_session_timeout: self.download_session_timeout,
            sync_interval: self.sync_interval,
            parallel_downloads: self.parallel_downloads,
            download_bytes_per_second: NonZeroU64::new(self.download_bytes_per_second),
            sync_download_bytes_per_second: NonZeroU64::new(self.sync_download_bytes_per_second),
        }
    }
}
