//! `ReleaseVersion`, `ComponentReleaseVersions` and their page.

use serde::Serialize;

use crate::wire::task::PageMetadata;

/// `vcf.fleet_lcm.model.release_version`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseVersion {
    pub version: String,
    pub components: Vec<ComponentReleaseVersions>,
}

/// `vcf.fleet_lcm.model.component_release_versions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentReleaseVersions {
    #[serde(rename = "type")]
    pub component_type: String,
    pub public_name: String,
    pub versions: Vec<String>,
}

/// A page of release versions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageOfReleaseVersion {
    pub elements: Vec<ReleaseVersion>,
    pub page_metadata: PageMetadata,
}
