//! The release manifest (URM, `vcfManifest.json`): parsed and checked, and the release
//! list it gives.
//!
//! Only what depotd uses is interpreted — the releases with their bill of materials; every
//! other field is kept in the raw bytes, which are what is served downstream.

use std::collections::HashSet;

use serde::Deserialize;

/// A checked release manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseManifest {
    /// The manifest's `sequenceNumber`, when it has one.
    pub sequence_number: Option<i64>,
    /// The releases, in the manifest's order.
    pub releases: Vec<Release>,
}

/// One release of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The product (`VCF` when not given).
    pub product: String,
    /// The release version, e.g. `9.1.0.0`.
    pub version: String,
    /// Its bill of materials.
    pub bom: Vec<BomEntry>,
}

/// One component version of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BomEntry {
    /// The component type, e.g. `VCENTER`.
    pub name: String,
    /// Its version in the release.
    pub version: String,
    /// Its public name, when the manifest gives one.
    pub public_name: Option<String>,
}

/// Why a manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or JSON of the wrong shape; names the JSON path.
    #[error("the release manifest is not valid at {path}: {reason}")]
    Invalid {
        /// JSON path of the problem (`$` for the document).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A release is listed twice.
    #[error("the release manifest lists release {product} {version} twice (at {path})")]
    DuplicateRelease {
        /// The product.
        product: String,
        /// The version.
        version: String,
        /// JSON path of the second entry.
        path: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    sequence_number: Option<i64>,
    releases: Vec<RawRelease>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRelease {
    #[serde(default)]
    product: Option<String>,
    version: String,
    #[serde(default)]
    bom: Vec<RawBom>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBom {
    name: String,
    version: String,
    #[serde(default)]
    public_name: Option<String>,
}

/// Parses and checks a manifest: a JSON object with a `releases` array; each release has a
/// non-empty `version` and a `bom` of `{name, version}`; no release twice.
pub fn parse_manifest(bytes: &[u8]) -> Result<ReleaseManifest, ManifestError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let raw: RawManifest = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ManifestError::Invalid {
            path: if path == "." {
                "$".to_owned()
            } else {
                format!("$.{path}")
            },
            reason: e.into_inner().to_string(),
        }
    })?;
    let mut seen = HashSet::new();
    let mut releases = Vec::with_capacity(raw.releases.len());
    for (i, r) in raw.releases.into_iter().enumerate() {
        let at = |field: &str| format!("$.releases[{i}]{field}");
        if r.version.trim().is_empty() {
            return Err(ManifestError::Invalid {
                path: at(".version"),
                reason: "the release version is empty".to_owned(),
            });
        }
        let product = r
            .product
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "VCF".to_owned());
        if !seen.insert((product.clone(), r.version.clone())) {
            return Err(ManifestError::DuplicateRelease {
                product,
                version: r.version,
                path: at(""),
            });
        }
        let mut bom = Vec::with_capacity(r.bom.len());
        for (j, b) in r.bom.into_iter().enumerate() {
            if b.name.trim().is_empty() || b.version.trim().is_empty() {
                return Err(ManifestError::Invalid {
                    path: at(&format!(".bom[{j}]")),
                    reason: "a bill-of-materials entry needs a name and a version".to_owned(),
                });
            }
            bom.push(BomEntry {
                name: b.name,
                version: b.version,
                public_name: b.public_name.filter(|p| !p.is_empty()),
            });
        }
        releases.push(Release {
            product,
            version: r.version,
            bom,
        });
    }
    Ok(ReleaseManifest {
        sequence_number: raw.sequence_number,
        releases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_releases_and_their_bom() {
        let m = parse_manifest(
            br#"{"version": 1, "sequenceNumber": 7, "releases": [
                {"version": "9.1.0.0", "bom": [{"name": "VCENTER", "version": "9.1.0.0.100", "publicName": "vCenter"}], "sku": []},
                {"product": "VCF", "version": "9.0.0.0"}]}"#,
        )
        .unwrap();
        assert_eq!(m.sequence_number, Some(7));
        assert_eq!(m.releases.len(), 2);
        assert_eq!(m.releases[0].bom[0].public_name.as_deref(), Some("vCenter"));
        assert_eq!(m.releases[1].product, "VCF");
    }

    #[test]
    fn refuses_bad_json_wrong_shape_and_duplicates() {
        let err = parse_manifest(b"{not json").unwrap_err();
        assert!(matches!(err, ManifestError::Invalid { .. }), "{err}");
        let err = parse_manifest(br#"{"releases": [{"version": 5}]}"#).unwrap_err();
        assert_eq!(
            err,
            ManifestError::Invalid {
                path: "$.releases[0].version".to_owned(),
                reason: err_reason(&err)
            }
        );
        let err =
            parse_manifest(br#"{"releases": [{"version": "1"}, {"version": "1"}]}"#).unwrap_err();
        assert!(
            err.to_string().contains("lists release VCF 1 twice"),
            "{err}"
        );
        let err = parse_manifest(
            br#"{"releases": [{"version": "1", "bom": [{"name": "X", "version": ""}]}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("$.releases[0].bom[0]"), "{err}");
        assert!(parse_manifest(br#"{"sequenceNumber": 1}"#).is_err());
    }

    fn err_reason(e: &ManifestError) -> String {
        match e {
            ManifestError::Invalid { reason, .. } => reason.clone(),
            ManifestError::DuplicateRelease { .. } => String::new(),
        }
    }
}
