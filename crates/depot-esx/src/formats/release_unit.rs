//! The vLCM-era release units of a metadata zip, JSON documents under `baseimages/`,
//! `addons/`, `solutions/` and `manifests/` (hardware support packages):
//!
//! ```json
//! {"releaseID": "ESXi_8.0.0-1.0.1", "releaseType": "baseImage",
//!  "nameSpec": {"name": "ESXi", "uiString": "ESXi"},
//!  "versionSpec": {"version": "8.0.0-1.0.1", "uiString": "8.0 GA - 1"},
//!  "vendor": "VMware, Inc.", "components": {"esx-base": "8.0.0-1.0.1"}}
//! ```
//! Add-ons add `removedComponents` and `supportedBaseImageVersions`; solutions name their
//! components with version constraints (`{"comp": [{"version": "1.0"}]}`); manifests add
//! `hardwareSupportInfo: {manager: {name}, package: {name, version}}`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::bulletin::non_empty_or;
use super::required;
use crate::error::EsxError;
use crate::model::{Addon, BaseImage, HardwareSupport, NameSpec, Solution, VersionSpec};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseUnitJson {
    #[serde(rename = "releaseID", default)]
    release_id: String,
    name_spec: Option<SpecJson>,
    version_spec: Option<VersionSpecJson>,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    components: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    removed_components: Vec<String>,
    #[serde(default)]
    supported_base_image_versions: Vec<String>,
    hardware_support_info: Option<HardwareSupportInfoJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecJson {
    #[serde(default)]
    name: String,
    #[serde(default)]
    ui_string: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionSpecJson {
    #[serde(default)]
    version: String,
    #[serde(default)]
    ui_string: String,
}

#[derive(Deserialize)]
struct HardwareSupportInfoJson {
    manager: SpecJson,
    package: PackageJson,
}

#[derive(Deserialize)]
struct PackageJson {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
}

/// Which directory a release unit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    BaseImage,
    Addon,
    Solution,
    Manifest,
}

/// A parsed release unit, by kind.
pub(crate) enum ReleaseUnit {
    BaseImage(BaseImage),
    Addon(Addon),
    Solution(Solution),
    Manifest(HardwareSupport),
}

/// Parses one release unit document of `kind`.
pub(crate) fn parse(document: &str, bytes: &[u8], kind: UnitKind) -> Result<ReleaseUnit, EsxError> {
    let unit: ReleaseUnitJson = crate::document::from_json(document, bytes)?;
    let release_id = required(document, "releaseID", &unit.release_id)?;
    let version = version(document, unit.version_spec.as_ref())?;
    Ok(match kind {
        UnitKind::BaseImage => ReleaseUnit::BaseImage(BaseImage {
            name: name(document, unit.name_spec, Some("ESXi"))?,
            components: versions(document, &unit.components)?,
            release_id,
            version,
        }),
        UnitKind::Addon => ReleaseUnit::Addon(Addon {
            name: name(document, unit.name_spec, None)?,
            components: versions(document, &unit.components)?,
            vendor: required(document, "vendor", &unit.vendor)?,
            removed_components: unit.removed_components,
            supported_base_images: unit.supported_base_image_versions,
            release_id,
            version,
        }),
        UnitKind::Solution => ReleaseUnit::Solution(Solution {
            name: name(document, unit.name_spec, None)?,
            components: constraints(&unit.components),
            release_id,
            version,
        }),
        UnitKind::Manifest => {
            let info = unit
                .hardware_support_info
                .ok_or_else(|| EsxError::invalid(document, "hardwareSupportInfo is missing"))?;
            ReleaseUnit::Manifest(HardwareSupport {
                manager: required(
                    document,
                    "hardwareSupportInfo.manager.name",
                    &info.manager.name,
                )?,
                package: required(
                    document,
                    "hardwareSupportInfo.package.name",
                    &info.package.name,
                )?,
                package_version: required(
                    document,
                    "hardwareSupportInfo.package.version",
                    &info.package.version,
                )?,
                components: versions(document, &unit.components)?,
                release_id,
            })
        }
    })
}

fn name(
    document: &str,
    spec: Option<SpecJson>,
    default: Option<&str>,
) -> Result<NameSpec, EsxError> {
    match (spec, default) {
        (Some(spec), _) if !spec.name.trim().is_empty() => {
            let name = spec.name.trim().to_owned();
            Ok(NameSpec {
                display_name: non_empty_or(&spec.ui_string, &name),
                name,
            })
        }
        (_, Some(default)) => Ok(NameSpec {
            name: default.to_owned(),
            display_name: default.to_owned(),
        }),
        _ => Err(EsxError::invalid(document, "nameSpec.name is missing")),
    }
}

fn version(document: &str, spec: Option<&VersionSpecJson>) -> Result<VersionSpec, EsxError> {
    let spec = spec.ok_or_else(|| EsxError::invalid(document, "versionSpec is missing"))?;
    let version = required(document, "versionSpec.version", &spec.version)?;
    Ok(VersionSpec {
        display_version: non_empty_or(&spec.ui_string, &version),
        version,
    })
}

/// `components` of a base image, add-on or manifest: name → version string.
fn versions(
    document: &str,
    components: &BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, EsxError> {
    components
        .iter()
        .map(|(name, version)| match version.as_str() {
            Some(v) if !v.trim().is_empty() => Ok((name.clone(), v.trim().to_owned())),
            _ => Err(EsxError::invalid(
                document,
                format!("component {name:?} has no version"),
            )),
        })
        .collect()
}

/// `components` of a solution: name → the versions its constraints name (any shape).
fn constraints(components: &BTreeMap<String, serde_json::Value>) -> BTreeMap<String, Vec<String>> {
    fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(v) => out.push(v.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            serde_json::Value::Object(map) => {
                if let Some(v) = map.get("version").and_then(serde_json::Value::as_str) {
                    out.push(v.to_owned());
                }
            }
            _ => {}
        }
    }
    components
        .iter()
        .map(|(name, value)| {
            let mut versions = Vec::new();
            collect(value, &mut versions);
            (name.clone(), versions)
        })
        .collect()
}
