//! `vibs/<name>-<n>.xml`: a VIB's descriptor, with where its payload is and what it
//! must hash to.
//!
//! ```xml
//! <vib version="5.0">
//!   <type>bootbank</type> <name>foo</name> <version>1.0-1</version>
//!   <vendor>VMW</vendor> <summary>...</summary>
//!   <acceptance-level>certified</acceptance-level>
//!   <software-tags><tag>driver</tag></software-tags>
//!   <payloads>...</payloads>
//!   <relative-path>vib20/foo/VMW_bootbank_foo_1.0-1.vib</relative-path>
//!   <packed-size>4194304</packed-size>
//!   <checksum checksum-type="sha-256">...</checksum>
//! </vib>
//! ```

use depot_model::Sha256Digest;
use serde::Deserialize;

use super::required;
use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::model::{AcceptanceLevel, DeclaredChecksum, Vib};

#[derive(Deserialize)]
struct VibXml {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    summary: String,
    #[serde(rename = "acceptance-level", default)]
    acceptance_level: String,
    #[serde(rename = "software-tags", default)]
    software_tags: TagsXml,
    #[serde(rename = "relative-path", default)]
    relative_path: String,
    #[serde(rename = "packed-size", default)]
    packed_size: String,
    checksum: Option<ChecksumXml>,
}

#[derive(Deserialize, Default)]
struct TagsXml {
    #[serde(rename = "tag", default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct ChecksumXml {
    #[serde(rename = "@checksum-type", default)]
    algorithm: String,
    #[serde(rename = "$text", default)]
    value: String,
}

/// Parses one VIB descriptor of the metadata zip whose directory in the bundle is
/// `base` (the payload path is relative to it).
pub(crate) fn parse(document: &str, bytes: &[u8], base: Option<&str>) -> Result<Vib, EsxError> {
    let v: VibXml = crate::document::from_xml(document, bytes)?;
    let name = required(document, "name", &v.name)?;
    let version = required(document, "version", &v.version)?;
    let vendor = required(document, "vendor", &v.vendor)?;
    let kind = required(document, "type", &v.kind)?;
    let acceptance_level = AcceptanceLevel::parse(&v.acceptance_level).ok_or_else(|| {
        EsxError::invalid(
            document,
            format!("unknown acceptance level {:?}", v.acceptance_level),
        )
    })?;
    let relative = required(document, "relative-path", &v.relative_path)?;
    let packed_size = v.packed_size.trim().parse::<u64>().map_err(|_| {
        EsxError::invalid(
            document,
            format!("<packed-size> {:?} is not a size", v.packed_size),
        )
    })?;
    let checksum = v
        .checksum
        .ok_or_else(|| EsxError::invalid(document, "<checksum> is missing"))?;
    Ok(Vib {
        id: format!("{vendor}_{kind}_{name}_{version}"),
        payload: EntryName::resolve(base, &relative, document)?,
        declared: declared(document, &checksum)?,
        name,
        version,
        vendor,
        kind,
        summary: v.summary.trim().to_owned(),
        acceptance_level,
        software_tags: v
            .software_tags
            .tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .collect(),
        packed_size,
        sha256: None,
    })
}

fn declared(document: &str, checksum: &ChecksumXml) -> Result<DeclaredChecksum, EsxError> {
    let value = checksum.value.trim().to_ascii_lowercase();
    let bad = || EsxError::invalid(document, format!("<checksum> {value:?} is not valid"));
    match checksum.algorithm.trim().to_ascii_lowercase().as_str() {
        "sha-256" | "sha256" => value
            .parse::<Sha256Digest>()
            .map(DeclaredChecksum::Sha256)
            .map_err(|_| bad()),
        "sha-1" | "sha1" => {
            if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(DeclaredChecksum::Sha1(value))
            } else {
                Err(bad())
            }
        }
        other => Err(EsxError::invalid(
            document,
            format!("checksum type {other:?} is not supported (sha-256, sha-1)"),
        )),
    }
}
