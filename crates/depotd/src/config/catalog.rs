//! `[catalog]`: where product version catalogs are read from and whom their signatures
//! must chain to.

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::values;

/// `[catalog]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogConfig {
    /// Product version catalog files are read only under this directory; `None`
    /// means `<data_dir>/import`.
    #[serde(with = "values::optional")]
    pub import_dir: Option<PathBuf>,
    /// PEM files of trust anchors (CA certificates, public keys) for catalog signatures.
    pub trust: Vec<PathBuf>,
    /// Largest catalog or signature file read.
    pub max_file_bytes: u64,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            import_dir: None,
            trust: Vec::new(),
            max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The flags of `[catalog]`.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct CatalogFlags {
    /// Directory catalog files are read from [default: <data-dir>/import].
    #[arg(long, env = "DEPOTD_IMPORT_DIR")]
    #[serde(skip_serializing_if = "values::blank")]
    pub import_dir: Option<PathBuf>,
    /// The trust anchors.
    #[command(flatten)]
    #[serde(flatten)]
    pub trust: CatalogTrustFlags,
    /// Largest catalog or signature file in bytes [default: 67108864].
    #[arg(
        long = "max-catalog-bytes",
        value_name = "MAX_CATALOG_BYTES",
        env = "DEPOTD_MAX_CATALOG_BYTES"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

/// `catalog.trust` alone: what `depotd catalog verify` takes besides the common flags.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct CatalogTrustFlags {
    /// PEM file of catalog signature trust anchors (repeatable; env: comma-separated).
    #[arg(
        long = "catalog-trust",
        value_name = "CATALOG_TRUST",
        env = "DEPOTD_CATALOG_TRUST",
        value_delimiter = ','
    )]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust: Vec<PathBuf>,
}
