//! The contract's `content` view of a depot (`com.vmware.esx.settings.depots.offline.content`
//! `get`): `metadata_bundles` → per metadata zip its base images, add-ons, solutions,
//! hardware support, independent components and updates. The field names are the
//! contract's (esx-depots.md), so the API layer maps this one-to-one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Bulletin, EsxDepot, MetadataBundle, NameSpec, VersionSpec};

/// The content of a depot: metadata infos by vendor index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepotContent {
    /// Vendor index entry → one [`MetadataInfo`] per metadata zip it lists.
    pub metadata_bundles: BTreeMap<String, Vec<MetadataInfo>>,
}

/// What one metadata zip holds. Empty collections are `None`, as vCenter leaves them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataInfo {
    /// The metadata zip's file name.
    pub file_name: String,
    /// Base images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_images: Option<Vec<BaseImageVersion>>,
    /// Add-ons by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<BTreeMap<String, AddonSummary>>,
    /// Solutions by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solutions: Option<BTreeMap<String, SolutionSummary>>,
    /// Hardware support managers by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware_support: Option<BTreeMap<String, HardwareSupportManagerSummary>>,
    /// Components that no base image, add-on, solution or manifest of this metadata
    /// lists, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub independent_components: Option<BTreeMap<String, ComponentSummary>>,
    /// Every bulletin, by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<BTreeMap<String, UpdateSummary>>,
}

/// A base image's version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseImageVersion {
    /// Version.
    pub version: String,
    /// Display name.
    pub display_name: String,
    /// Display version.
    pub display_version: String,
}

/// A version and its display form (add-on, component, solution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSummary {
    /// Version.
    pub version: String,
    /// Display version.
    pub display_version: String,
}

/// An add-on and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddonSummary {
    /// Display name.
    pub display_name: String,
    /// Vendor.
    pub vendor: String,
    /// Versions.
    pub versions: Vec<VersionSummary>,
}

/// A component and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentSummary {
    /// Display name.
    pub display_name: String,
    /// Versions.
    pub versions: Vec<VersionSummary>,
}

/// A solution, its versions and the components of this metadata it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SolutionSummary {
    /// Display name.
    pub display_name: String,
    /// Versions.
    pub versions: Vec<VersionSummary>,
    /// Its components present in this metadata, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<BTreeMap<String, SolutionComponentSummary>>,
}

/// A component of a solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SolutionComponentSummary {
    /// The component bulletin's release date, as an RFC 3339 date-time in UTC (see
    /// [`release_date_time`]).
    pub release_date: String,
    /// Its version.
    pub version: VersionSummary,
    /// Its VIBs by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vib_informations: Option<BTreeMap<String, VibInfo>>,
}

/// What the content view says of a VIB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VibInfo {
    /// Its software tags.
    pub software_tags: Vec<String>,
}

/// A hardware support manager and its packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HardwareSupportManagerSummary {
    /// Display name (the manager's name).
    pub display_name: String,
    /// Packages by name.
    pub packages: BTreeMap<String, HardwareSupportPackageSummary>,
}

/// A hardware support package's versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HardwareSupportPackageSummary {
    /// Versions.
    pub versions: Vec<HardwareSupportPackageVersion>,
}

/// A hardware support package version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HardwareSupportPackageVersion {
    /// Version.
    pub version: String,
}

/// An update (bulletin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateSummary {
    /// Its summary.
    pub summary: String,
}

impl EsxDepot {
    /// The contract's `content` view.
    pub fn content(&self) -> DepotContent {
        let mut metadata_bundles: BTreeMap<String, Vec<MetadataInfo>> = BTreeMap::new();
        for vendor in &self.vendors {
            metadata_bundles
                .entry(vendor.index.to_string())
                .or_default()
                .extend(vendor.metadata.iter().map(MetadataInfo::of));
        }
        DepotContent { metadata_bundles }
    }
}

fn version(v: &VersionSpec) -> VersionSummary {
    VersionSummary {
        version: v.version.clone(),
        display_version: v.display_version.clone(),
    }
}

/// `None` for an empty collection.
fn non_empty<C>(items: C) -> Option<C>
where
    for<'a> &'a C: IntoIterator,
{
    let has_items = (&items).into_iter().next().is_some();
    has_items.then_some(items)
}

impl MetadataInfo {
    fn of(bundle: &MetadataBundle) -> Self {
        Self {
            file_name: bundle.path.file_name().to_owned(),
            base_images: non_empty(
                bundle
                    .base_images
                    .iter()
                    .map(|b| BaseImageVersion {
                        version: b.version.version.clone(),
                        display_name: b.name.display_name.clone(),
                        display_version: b.version.display_version.clone(),
                    })
                    .collect(),
            ),
            addons: non_empty(addons(bundle)),
            solutions: non_empty(solutions(bundle)),
            hardware_support: non_empty(hardware_support(bundle)),
            independent_components: non_empty(independent_components(bundle)),
            updates: non_empty(
                bundle
                    .bulletins
                    .iter()
                    .map(|b| {
                        (
                            b.id.clone(),
                            UpdateSummary {
                                summary: b.summary.clone(),
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }
}

fn addons(bundle: &MetadataBundle) -> BTreeMap<String, AddonSummary> {
    let mut out: BTreeMap<String, AddonSummary> = BTreeMap::new();
    for addon in &bundle.addons {
        out.entry(addon.name.name.clone())
            .or_insert_with(|| AddonSummary {
                display_name: addon.name.display_name.clone(),
                vendor: addon.vendor.clone(),
                versions: Vec::new(),
            })
            .versions
            .push(version(&addon.version));
    }
    out
}

fn solutions(bundle: &MetadataBundle) -> BTreeMap<String, SolutionSummary> {
    let mut out: BTreeMap<String, SolutionSummary> = BTreeMap::new();
    for solution in &bundle.solutions {
        let entry = out
            .entry(solution.name.name.clone())
            .or_insert_with(|| SolutionSummary {
                display_name: solution.name.display_name.clone(),
                versions: Vec::new(),
                components: None,
            });
        entry.versions.push(version(&solution.version));
        for (name, versions) in &solution.components {
            let found = components(bundle).filter(|(_, (n, v))| {
                n.name == *name && (versions.is_empty() || versions.contains(&v.version))
            });
            for (bulletin, (_, v)) in found {
                entry.components.get_or_insert_with(BTreeMap::new).insert(
                    name.clone(),
                    SolutionComponentSummary {
                        release_date: release_date_time(&bulletin.release_date),
                        version: version(v),
                        vib_informations: vib_informations(bundle, bulletin),
                    },
                );
            }
        }
    }
    out
}

fn vib_informations(
    bundle: &MetadataBundle,
    bulletin: &Bulletin,
) -> Option<BTreeMap<String, VibInfo>> {
    let infos: BTreeMap<String, VibInfo> = bundle
        .vibs
        .iter()
        .filter(|vib| bulletin.vib_ids.contains(&vib.id))
        .map(|vib| {
            let info = VibInfo {
                software_tags: vib.software_tags.clone(),
            };
            (vib.id.clone(), info)
        })
        .collect();
    non_empty(infos)
}

fn hardware_support(bundle: &MetadataBundle) -> BTreeMap<String, HardwareSupportManagerSummary> {
    let mut out: BTreeMap<String, HardwareSupportManagerSummary> = BTreeMap::new();
    for hsp in &bundle.hardware_support {
        out.entry(hsp.manager.clone())
            .or_insert_with(|| HardwareSupportManagerSummary {
                display_name: hsp.manager.clone(),
                packages: BTreeMap::new(),
            })
            .packages
            .entry(hsp.package.clone())
            .or_insert_with(|| HardwareSupportPackageSummary {
                versions: Vec::new(),
            })
            .versions
            .push(HardwareSupportPackageVersion {
                version: hsp.package_version.clone(),
            });
    }
    out
}

/// The bulletins that are components, with their name and version.
fn components(
    bundle: &MetadataBundle,
) -> impl Iterator<Item = (&Bulletin, &(NameSpec, VersionSpec))> {
    bundle
        .bulletins
        .iter()
        .filter_map(|b| b.component.as_ref().map(|c| (b, c)))
}

fn independent_components(bundle: &MetadataBundle) -> BTreeMap<String, ComponentSummary> {
    let owned: BTreeSet<&str> = bundle
        .base_images
        .iter()
        .flat_map(|b| b.components.keys())
        .chain(bundle.addons.iter().flat_map(|a| a.components.keys()))
        .chain(bundle.solutions.iter().flat_map(|s| s.components.keys()))
        .chain(
            bundle
                .hardware_support
                .iter()
                .flat_map(|h| h.components.keys()),
        )
        .map(String::as_str)
        .collect();
    let mut out: BTreeMap<String, ComponentSummary> = BTreeMap::new();
    for (_, (name, v)) in components(bundle).filter(|(_, (n, _))| !owned.contains(n.name.as_str()))
    {
        out.entry(name.name.clone())
            .or_insert_with(|| ComponentSummary {
                display_name: name.display_name.clone(),
                versions: Vec::new(),
            })
            .versions
            .push(version(v));
    }
    out
}

/// A release date as bulletins write it (`2024-06-25T00:00:00`, with or without a
/// fraction or zone, or only a date), as the date-time the bindings declare: RFC 3339 in
/// UTC with milliseconds (the SDK refuses one without a zone). A zone-less time is taken
/// as UTC; text that is no date at all becomes the Unix epoch rather than failing the
/// whole content view.
pub fn release_date_time(text: &str) -> String {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
    let text = text.trim();
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        })
        .unwrap_or(DateTime::UNIX_EPOCH);
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod release_date_tests {
    use super::release_date_time;

    #[test]
    fn release_dates_become_utc_date_times() {
        assert_eq!(
            release_date_time("2026-01-01T00:00:00"),
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(
            release_date_time("2024-06-25T10:30:00.5+02:00"),
            "2024-06-25T08:30:00.500Z"
        );
        assert_eq!(release_date_time("2024-06-25"), "2024-06-25T00:00:00.000Z");
        assert_eq!(release_date_time("someday"), "1970-01-01T00:00:00.000Z");
    }
}
