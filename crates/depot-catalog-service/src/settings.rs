//! What the catalog service is configured with.

use std::path::PathBuf;
use std::sync::Arc;

use depot_catalog::TrustStore;

/// Settings of the catalog service.
#[derive(Clone)]
pub struct CatalogSettings {
    /// Only files under this directory are read.
    pub import_dir: PathBuf,
    /// Largest catalog or signature file read.
    pub max_file_bytes: u64,
    /// Trust anchors for catalog signatures.
    pub trust: Arc<TrustStore>,
}
