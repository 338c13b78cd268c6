//! Release versions (`GET /fleet-lcm/v1/release-versions`): one entry per release of
//! the synced manifest, with the component versions it allows.
//!
//! A component of a release allows the version in the release's bill of materials, and
//! the catalog's patches of the same component type on the same release line (the same
//! first three version numbers) that are not older — the async patches a customer may
//! apply on top of that release.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use depot_catalog::ProductVersionCatalog;

use crate::manifest::ReleaseManifest;

/// One release version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseVersion {
    /// The release version, e.g. `9.1.0.0`.
    pub version: String,
    /// Its components, in bill-of-materials order.
    pub components: Vec<ComponentVersions>,
}

/// The versions one component may have in a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentVersions {
    /// Component type, e.g. `VCENTER`.
    pub component_type: String,
    /// Its public name.
    pub public_name: String,
    /// Allowed versions, oldest first.
    pub versions: Vec<String>,
}

/// The release versions of `manifest`, newest first; a version listed by several products
/// is one entry with the components of all of them.
pub fn release_versions(
    manifest: &ReleaseManifest,
    catalog: Option<&ProductVersionCatalog>,
) -> Vec<ReleaseVersion> {
    let mut by_version: Vec<ReleaseVersion> = Vec::new();
    for release in &manifest.releases {
        let index = by_version
            .iter()
            .position(|r| r.version == release.version)
            .unwrap_or_else(|| {
                by_version.push(ReleaseVersion {
                    version: release.version.clone(),
                    components: Vec::new(),
                });
                by_version.len() - 1
            });
        let entry = &mut by_version[index];
        for bom in &release.bom {
            let at = entry
                .components
                .iter()
                .position(|c| c.component_type == bom.name)
                .unwrap_or_else(|| {
                    entry.components.push(ComponentVersions {
                        component_type: bom.name.clone(),
                        public_name: bom
                            .public_name
                            .clone()
                            .unwrap_or_else(|| public_name(&bom.name).to_owned()),
                        versions: Vec::new(),
                    });
                    entry.components.len() - 1
                });
            let component = &mut entry.components[at];
            let mut versions: BTreeMap<VersionKey, String> = component
                .versions
                .drain(..)
                .map(|v| (VersionKey::of(&v), v))
                .collect();
            versions.insert(VersionKey::of(&bom.version), bom.version.clone());
            if let Some(catalog) = catalog {
                let base = VersionKey::of(&bom.version);
                for patch in catalog.patches_of(&bom.name) {
                    let v = patch.product_version().as_str();
                    let key = VersionKey::of(v);
                    if key.same_line(&base) && key >= base {
                        versions.insert(key, v.to_owned());
                    }
                }
            }
            component.versions = versions.into_values().collect();
        }
    }
    by_version.sort_by(|a, b| VersionKey::of(&b.version).cmp(&VersionKey::of(&a.version)));
    by_version
}

/// Public names of well-known component types, for manifests that give none.
fn public_name(component_type: &str) -> &str {
    match component_type {
        "VCENTER" => "vCenter",
        "ESX_HOST" | "ESXI" => "ESX",
        "NSX_T_MANAGER" | "NSX_MANAGER" => "NSX",
        "SDDC_MANAGER_VCF" | "SDDC_MANAGER" => "SDDC Manager",
        "VCF_OPS" | "VROPS" => "VCF Operations",
        "VRSLCM" => "VCF Operations fleet management",
        "VCF_AUTOMATION" | "VRA" => "VCF Automation",
        other => other,
    }
}

/// A version compared by its numeric parts (`9.1.0.0.24500000` < `9.1.0.0.100000000`);
/// non-numeric parts compare as text after numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VersionKey(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Number(u64),
    Text(String),
}

impl VersionKey {
    fn of(version: &str) -> Self {
        Self(
            version
                .split(['.', '-', '_'])
                .map(|p| {
                    p.parse()
                        .map_or_else(|_| Part::Text(p.to_owned()), Part::Number)
                })
                .collect(),
        )
    }

    /// Same first three parts.
    fn same_line(&self, other: &Self) -> bool {
        self.0.len() >= 3 && other.0.len() >= 3 && self.0[..3] == other.0[..3]
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_manifest;

    #[test]
    fn versions_compare_by_numbers() {
        assert!(VersionKey::of("9.1.0.0.24500000") < VersionKey::of("9.1.0.0.100000000"));
        assert!(VersionKey::of("9.0.1.0") > VersionKey::of("9.0.0.9"));
        assert!(VersionKey::of("9.0.1.0.1").same_line(&VersionKey::of("9.0.1.7")));
        assert!(!VersionKey::of("9.0.1.0").same_line(&VersionKey::of("9.0.2.0")));
    }

    #[test]
    fn releases_list_bom_and_later_patches_of_their_line() {
        let manifest = parse_manifest(
            br#"{"releases": [
              {"version": "9.0.0.0", "bom": [{"name": "VCENTER", "version": "9.0.0.0.100"}]},
              {"version": "9.1.0.0", "bom": [{"name": "VCENTER", "version": "9.1.0.0.200", "publicName": "vCenter Server"},
                                             {"name": "SDDC_MANAGER_VCF", "version": "9.1.0.0.300"}]}]}"#,
        )
        .unwrap();
        let catalog = depot_catalog::parse_catalog(
            br#"{"version": 1, "sequenceNumber": 3, "creationTime": "2025-01-01T00:00:00Z", "publishedTime": "2025-01-01T00:00:00Z",
                 "patches": {"VCENTER": [
                   {"productVersion": "9.1.0.0.250", "artifacts": {"bundles": []}},
                   {"productVersion": "9.1.0.0.150", "artifacts": {"bundles": []}},
                   {"productVersion": "9.0.0.0.900", "artifacts": {"bundles": []}}]}}"#,
        )
        .unwrap();
        let list = release_versions(&manifest, Some(&catalog));
        assert_eq!(list[0].version, "9.1.0.0");
        assert_eq!(list[1].version, "9.0.0.0");
        let vc = &list[0].components[0];
        assert_eq!(vc.public_name, "vCenter Server");
        assert_eq!(vc.versions, ["9.1.0.0.200", "9.1.0.0.250"]);
        assert_eq!(list[0].components[1].public_name, "SDDC Manager");
        assert_eq!(
            list[1].components[0].versions,
            ["9.0.0.0.100", "9.0.0.0.900"]
        );
        let without = release_versions(&manifest, None);
        assert_eq!(without[0].components[0].versions, ["9.1.0.0.200"]);
    }
}
