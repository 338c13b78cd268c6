//! `[esx]`: ESX offline depots — files uploaded to `/vum-fileupload`, imports.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values;

/// `[esx]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EsxConfig {
    /// How long an uploaded file waits for a depot import; then the housekeeping
    /// removes it.
    #[serde(rename = "upload_ttl_seconds", with = "values::seconds")]
    pub upload_ttl: Duration,
    /// The largest file `/vum-fileupload` takes, in bytes; also the largest bundle a
    /// `PULL` import downloads.
    pub upload_max_bytes: u64,
    /// The directory `file:` locations of `PULL` imports may point into (none: `file:`
    /// locations are refused). Resolved at each import: no escape by `..` or symlinks.
    pub import_dir: Option<std::path::PathBuf>,
}

impl Default for EsxConfig {
    fn default() -> Self {
        let service = depot_uploads::UploadSettings::default();
        Self {
            upload_ttl: service.ttl,
            upload_max_bytes: service.max_bytes,
            import_dir: None,
        }
    }
}

impl EsxConfig {
    /// The upload service's settings.
    pub fn uploads(&self) -> depot_uploads::UploadSettings {
        depot_uploads::UploadSettings {
            ttl: self.upload_ttl,
            max_bytes: self.upload_max_bytes,
        }
    }

    /// The offline depots service's settings.
    pub fn depots(&self) -> depot_esx_depots::EsxDepotSettings {
        depot_esx_depots::EsxDepotSettings {
            import_dir: self.import_dir.clone(),
            max_bundle_bytes: self.upload_max_bytes,
            ..depot_esx_depots::EsxDepotSettings::default()
        }
    }

    /// Checks the values (errors name the key).
    pub fn check(&self) -> Result<(), String> {
        if self.upload_ttl.is_zero() {
            return Err("esx.upload_ttl_seconds must be positive".to_owned());
        }
        if self.upload_max_bytes == 0 {
            return Err("esx.upload_max_bytes must be positive".to_owned());
        }
        if let Some(dir) = &self.import_dir
            && !dir.is_absolute()
        {
            return Err(format!(
                "esx.import_dir must be an absolute path, not {}",
                dir.display()
            ));
        }
        Ok(())
    }
}
