//! [`SyncConfig`]: how this server syncs — depot paths, proxy, timeouts, the schedule —
//! fixed at start-up (the depot itself is in the stored settings).

use depot_upstream::{RetryPolicy, Timeouts};
use serde::{Deserialize, Serialize};

/// Where the metadata lives on a depot, relative to its base URL (also the
/// `[depot.paths]` section of the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncPaths {
    /// The product version catalog (PVC).
    pub catalog: String,
    /// Its signature.
    pub catalog_signature: String,
    /// The release manifest (URM).
    pub manifest: String,
    /// Compatibility data; a file the depot does not have is skipped.
    pub compatibility: Vec<String>,
    /// Where an online depot's download token goes (`{token}/{path}`).
    pub token_template: String,
}

impl Default for SyncPaths {
    fn default() -> Self {
        Self {
            catalog: "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json".to_owned(),
            catalog_signature: "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig"
                .to_owned(),
            manifest: "PROD/metadata/manifest/v1/vcfManifest.json".to_owned(),
            compatibility: vec![
                "PROD/metadata/Compatibility/VmwareCompatibilityData.json".to_owned(),
            ],
            token_template: depot_upstream::DEFAULT_TOKEN_PATH_TEMPLATE.to_owned(),
        }
    }
}

/// The sync's fixed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Depot paths.
    pub paths: SyncPaths,
    /// HTTP(S) proxy for depot requests.
    pub proxy: Option<String>,
    /// Request timeouts.
    pub timeouts: Timeouts,
    /// Retries of failed requests within one stage.
    pub retry: RetryPolicy,
    /// Largest metadata file downloaded.
    pub max_file_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            paths: SyncPaths::default(),
            proxy: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            max_file_bytes: 256 << 20,
        }
    }
}
