//! `bulletins/<id>.xml`: an update; with `componentNameSpec`/`componentVersionSpec` (7.0
//! and later) also a component.
//!
//! ```xml
//! <bulletin>
//!   <id>VMW_bootbank_foo_1.0-1</id> <vendor>VMware, Inc.</vendor> <summary>...</summary>
//!   <severity>general</severity> <category>enhancement</category>
//!   <releaseType>extension</releaseType> <releaseDate>2024-01-01T00:00:00</releaseDate>
//!   <componentNameSpec name="foo" uistring="Foo driver"/>
//!   <componentVersionSpec version="1.0-1" uistring="1.0"/>
//!   <vibList><vibID>VMW_bootbank_foo_1.0-1</vibID></vibList>
//! </bulletin>
//! ```

use serde::Deserialize;

use super::required;
use crate::error::EsxError;
use crate::model::{Bulletin, NameSpec, VersionSpec};

#[derive(Deserialize)]
struct BulletinXml {
    #[serde(default)]
    id: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    summary: String,
    #[serde(rename = "releaseDate", default)]
    release_date: String,
    #[serde(rename = "releaseType", default)]
    release_type: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    severity: String,
    #[serde(rename = "componentNameSpec")]
    name_spec: Option<NameSpecXml>,
    #[serde(rename = "componentVersionSpec")]
    version_spec: Option<VersionSpecXml>,
    #[serde(rename = "vibList", default)]
    vib_list: VibListXml,
}

#[derive(Deserialize)]
struct NameSpecXml {
    #[serde(rename = "@name", default)]
    name: String,
    #[serde(rename = "@uistring", default)]
    uistring: String,
}

#[derive(Deserialize)]
struct VersionSpecXml {
    #[serde(rename = "@version", default)]
    version: String,
    #[serde(rename = "@uistring", default)]
    uistring: String,
}

#[derive(Deserialize, Default)]
struct VibListXml {
    #[serde(rename = "vibID", default)]
    ids: Vec<String>,
}

/// Parses one bulletin document.
pub(crate) fn parse(document: &str, bytes: &[u8]) -> Result<Bulletin, EsxError> {
    let b: BulletinXml = crate::document::from_xml(document, bytes)?;
    let component = match (b.name_spec, b.version_spec) {
        (Some(n), Some(v)) => {
            let name = required(document, "componentNameSpec name", &n.name)?;
            let version = required(document, "componentVersionSpec version", &v.version)?;
            Some((
                NameSpec {
                    display_name: non_empty_or(&n.uistring, &name),
                    name,
                },
                VersionSpec {
                    display_version: non_empty_or(&v.uistring, &version),
                    version,
                },
            ))
        }
        (None, None) => None,
        _ => {
            return Err(EsxError::invalid(
                document,
                "a component needs both componentNameSpec and componentVersionSpec",
            ));
        }
    };
    let vib_ids: Vec<String> = b
        .vib_list
        .ids
        .into_iter()
        .map(|id| id.trim().to_owned())
        .collect();
    if vib_ids.is_empty() || vib_ids.iter().any(String::is_empty) {
        return Err(EsxError::invalid(
            document,
            "<vibList> names no VIB or an empty one",
        ));
    }
    Ok(Bulletin {
        id: required(document, "id", &b.id)?,
        vendor: b.vendor.trim().to_owned(),
        summary: b.summary.trim().to_owned(),
        release_date: b.release_date.trim().to_owned(),
        release_type: b.release_type.trim().to_owned(),
        category: b.category.trim().to_owned(),
        severity: b.severity.trim().to_owned(),
        component,
        vib_ids,
    })
}

/// The display form, or the value itself when the display form is blank.
pub(crate) fn non_empty_or(display: &str, value: &str) -> String {
    let display = display.trim();
    if display.is_empty() {
        value.to_owned()
    } else {
        display.to_owned()
    }
}
