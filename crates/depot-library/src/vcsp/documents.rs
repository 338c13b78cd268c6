//! The VCSP documents a published library is read through (`lib.json`, `items.json`,
//! `item.json`), in the shape vCenter's subscribers read: camelCase, versions as
//! strings, ids as `urn:uuid:`, hrefs relative to the library's root.

use std::fmt::Write as _;

use depot_model::{ItemFile, Library, LibraryItem, Timestamp};
use serde::Serialize;

/// The VCSP protocol version served.
pub const VCSP_VERSION: &str = "2";

/// `lib.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LibJson {
    /// Always [`VCSP_VERSION`].
    pub vcsp_version: &'static str,
    /// Grows on every change of the library or its items.
    pub version: String,
    /// Grows when any item's content or the set of items changes.
    pub content_version: String,
    /// `urn:uuid:<library id>`, stable.
    pub id: String,
    /// The library's name.
    pub name: String,
    /// The library's description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// When the library was created.
    pub created: String,
    /// How content moves: plain HTTP GET both ways.
    pub capabilities: Capabilities,
    /// Where the item list is, relative to this document.
    pub items_href: &'static str,
}

/// `capabilities` of `lib.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// `["httpGet"]`.
    pub transfer_in: [&'static str; 1],
    /// `["httpGet"]`.
    pub transfer_out: [&'static str; 1],
}

/// `items.json`: every item, each as its `item.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemsJson {
    /// The items, by name.
    pub items: Vec<ItemJson>,
}

/// `item.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemJson {
    /// `urn:uuid:<item id>`, stable.
    pub id: String,
    /// The item's name.
    pub name: String,
    /// The item's description.
    pub description: String,
    /// `vcsp.ovf`, `vcsp.iso` or `vcsp.other`.
    #[serde(rename = "type")]
    pub item_type: &'static str,
    /// Grows on every change of the item.
    pub version: String,
    /// When the item was created.
    pub created: String,
    /// Where this document is, relative to the library's root.
    pub self_href: String,
    /// Its files.
    pub files: Vec<FileJson>,
    /// Free properties (none).
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// One file of `item.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileJson {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Changes when the content does (the SHA-256 of the content).
    pub etag: String,
    /// Where it is, relative to the library's root.
    pub hrefs: Vec<String>,
}

/// The `urn:uuid:` form of an id.
fn urn(id: impl std::fmt::Display) -> String {
    format!("urn:uuid:{id}")
}

fn time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The VCSP type of an item type.
pub fn vcsp_type(item_type: Option<&str>) -> &'static str {
    match item_type.map(str::to_ascii_lowercase).as_deref() {
        Some("ovf" | "vm-template") => "vcsp.ovf",
        Some("iso") => "vcsp.iso",
        _ => "vcsp.other",
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

impl LibJson {
    /// The document of `library`.
    pub fn of(library: &Library) -> Self {
        Self {
            vcsp_version: VCSP_VERSION,
            version: library.version.to_string(),
            content_version: library.content_version.to_string(),
            id: urn(library.id),
            name: library.name.clone(),
            description: library.description.clone().unwrap_or_default(),
            created: time(library.creation_time),
            capabilities: Capabilities {
                transfer_in: ["httpGet"],
                transfer_out: ["httpGet"],
            },
            items_href: "items.json",
        }
    }
}

impl ItemJson {
    /// The document of `item` with its `files`; only cached files are listed (a
    /// subscriber can fetch nothing else).
    pub fn of(item: &LibraryItem, files: &[ItemFile]) -> Self {
        let dir = item.id.to_string();
        Self {
            id: urn(item.id),
            name: item.name.clone(),
            description: item.description.clone().unwrap_or_default(),
            item_type: vcsp_type(item.item_type.as_deref()),
            version: item.version.to_string(),
            created: time(item.creation_time),
            self_href: format!("{dir}/item.json"),
            files: files
                .iter()
                .filter_map(|f| {
                    let digest = f.digest?;
                    Some(FileJson {
                        name: f.name.clone(),
                        size: f.size,
                        etag: digest.to_string(),
                        hrefs: vec![format!("{dir}/{}", segment(&f.name))],
                    })
                })
                .collect(),
            properties: serde_json::Map::new(),
        }
    }
}

impl ItemJson {
    /// The document of `item` of a subscribed library: every file is listed, with the
    /// publisher's etag while it has one (so it stays the same when the file gets
    /// cached here), else the content's SHA-256 (empty while not cached).
    pub fn of_subscribed(item: &LibraryItem, files: &[ItemFile]) -> Self {
        let mut json = Self::of(item, &[]);
        let dir = item.id.to_string();
        json.files = files
            .iter()
            .map(|f| FileJson {
                name: f.name.clone(),
                size: f.size,
                etag: f
                    .source_etag
                    .clone()
                    .filter(|e| !e.is_empty())
                    .or_else(|| f.digest.map(|d| d.to_string()))
                    .unwrap_or_default(),
                hrefs: vec![format!("{dir}/{}", segment(&f.name))],
            })
            .collect();
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_in_hrefs() {
        assert_eq!(segment("disk-1.vmdk"), "disk-1.vmdk");
        assert_eq!(segment("a b+c%é/x"), "a%20b%2Bc%25%C3%A9%2Fx");
    }

    #[test]
    fn item_types_map_to_vcsp_types() {
        assert_eq!(vcsp_type(Some("ovf")), "vcsp.ovf");
        assert_eq!(vcsp_type(Some("ISO")), "vcsp.iso");
        assert_eq!(vcsp_type(Some("zip")), "vcsp.other");
        assert_eq!(vcsp_type(None), "vcsp.other");
    }
}
