//! The VCSP documents a publisher serves, as a subscriber reads them: any VCSP
//! publisher (vCenter, a static tree in the `make_vcsp_2018.py` layout, depotd), so
//! versions may be strings or numbers, and everything but ids and names is optional.
//! Untrusted: sizes are capped where they are fetched, nesting by the JSON parser's
//! recursion limit, and the number of items, files and hrefs here.

use serde::Deserialize;

use crate::LibraryError;

/// The most items an `items.json` may list.
pub const MAX_ITEMS: usize = 100_000;
/// The most files an item may have.
pub const MAX_FILES: usize = 10_000;
/// The largest `lib.json` or `item.json`, in bytes.
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 20;
/// The largest `items.json`, in bytes.
pub const MAX_ITEMS_BYTES: u64 = 64 << 20;

/// A version as publishers write it: `"3"` or `3`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum Version {
    Text(String),
    Number(u64),
}

impl Version {
    fn text(self) -> String {
        match self {
            Version::Text(t) => t,
            Version::Number(n) => n.to_string(),
        }
    }
}

fn version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Version::deserialize(d)?.text())
}

fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(d)? {
        Size::Number(n) => Ok(n),
        Size::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

/// A publisher's `lib.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteLibrary {
    /// Grows on every change at the publisher.
    #[serde(deserialize_with = "version")]
    pub version: String,
    /// The library's name.
    #[serde(default)]
    pub name: String,
    /// Where `items.json` is, relative to `lib.json`.
    #[serde(default = "items_href")]
    pub items_href: String,
}

fn items_href() -> String {
    "items.json".to_owned()
}

/// A publisher's `items.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteItems {
    /// Every item.
    pub items: Vec<RemoteItem>,
}

/// One item, in `items.json` or its own `item.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteItem {
    /// The publisher's id, usually `urn:uuid:<uuid>`.
    pub id: String,
    /// The item's name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `vcsp.ovf`, `vcsp.iso`, `vcsp.other`, …
    #[serde(default, rename = "type")]
    pub item_type: Option<String>,
    /// Grows on every change of the item.
    #[serde(deserialize_with = "version")]
    pub version: String,
    /// Where its `item.json` is, relative to the library's root.
    #[serde(default)]
    pub self_href: Option<String>,
    /// Its files; `items.json` may leave them out (then `item.json` has them).
    #[serde(default)]
    pub files: Option<Vec<RemoteFile>>,
}

/// One file of an item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteFile {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    #[serde(deserialize_with = "size")]
    pub size: u64,
    /// Changes when the content does (depotd sends the SHA-256; others are opaque).
    #[serde(default)]
    pub etag: Option<String>,
    /// Where it is, relative to the library's root (the first is used).
    #[serde(default)]
    pub hrefs: Vec<String>,
    /// Whether the publisher marks it optional (fetched only when asked).
    #[serde(default)]
    pub optional: bool,
}

impl RemoteItem {
    /// The publisher's item id without its `urn:uuid:` prefix.
    pub fn source_id(&self) -> &str {
        self.id.strip_prefix("urn:uuid:").unwrap_or(&self.id)
    }

    /// The local item type of its VCSP type: `ovf`, `iso`, or none.
    pub fn local_type(&self) -> Option<String> {
        match self.item_type.as_deref() {
            Some("vcsp.ovf") => Some("ovf".to_owned()),
            Some("vcsp.iso") => Some("iso".to_owned()),
            _ => None,
        }
    }

    fn check(&self) -> Result<(), LibraryError> {
        if let Some(files) = &self.files
            && files.len() > MAX_FILES
        {
            return Err(LibraryError::SyncFailed(format!(
                "item {} lists {} files, more than the {MAX_FILES} depotd takes",
                self.name,
                files.len()
            )));
        }
        if self.id.is_empty() || self.name.trim().is_empty() {
            return Err(LibraryError::SyncFailed(
                "an item without id or name".to_owned(),
            ));
        }
        Ok(())
    }
}

/// The deepest nesting of arrays and objects a document may have.
pub const MAX_DEPTH: usize = 32;

/// Whether `bytes` nest arrays and objects deeper than `max` (strings skipped).
fn too_deep(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, LibraryError> {
    if too_deep(bytes, MAX_DEPTH) {
        return Err(LibraryError::SyncFailed(format!(
            "the publisher's {what} nests deeper than {MAX_DEPTH} levels"
        )));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| LibraryError::SyncFailed(format!("the publisher's {what} is not usable: {e}")))
}

/// Parses `lib.json`.
pub fn library(bytes: &[u8]) -> Result<RemoteLibrary, LibraryError> {
    parse("lib.json", bytes)
}

/// Parses `items.json`, refusing more than [`MAX_ITEMS`] items.
pub fn items(bytes: &[u8]) -> Result<RemoteItems, LibraryError> {
    let items: RemoteItems = parse("items.json", bytes)?;
    if items.items.len() > MAX_ITEMS {
        return Err(LibraryError::SyncFailed(format!(
            "the publisher's items.json lists {} items, more than the {MAX_ITEMS} depotd takes",
            items.items.len()
        )));
    }
    for item in &items.items {
        item.check()?;
    }
    Ok(items)
}

/// Parses an `item.json`.
pub fn item(bytes: &[u8]) -> Result<RemoteItem, LibraryError> {
    let item: RemoteItem = parse("item.json", bytes)?;
    item.check()?;
    Ok(item)
}

/// Whether a publisher's version `new` is past `old` (none yet: yes). Numbers compare
/// as numbers; other versions only as different or not.
pub fn grew(old: Option<&str>, new: &str) -> bool {
    match old {
        None => true,
        Some(old) => match (old.parse::<u64>(), new.parse::<u64>()) {
            (Ok(old), Ok(new)) => new > old,
            _ => old != new,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_of_any_publisher_parse() {
        let lib =
            library(br#"{"vcspVersion":"2","version":7,"id":"urn:uuid:x","name":"l"}"#).unwrap();
        assert_eq!(
            (lib.version.as_str(), lib.items_href.as_str()),
            ("7", "items.json")
        );
        let items = items(
            br#"{"items":[{"id":"urn:uuid:a","name":"a","type":"vcsp.iso","version":"2",
            "selfHref":"a/item.json","files":[{"name":"a.iso","size":"5","etag":"e",
            "hrefs":["a/a.iso"]}],"properties":{}}]}"#,
        )
        .unwrap();
        let a = &items.items[0];
        assert_eq!(
            (a.source_id(), a.local_type()),
            ("a", Some("iso".to_owned()))
        );
        assert_eq!(a.files.as_ref().unwrap()[0].size, 5);
    }

    #[test]
    fn hostile_documents_are_refused() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let doc = format!(r#"{{"items":[],"x":{deep}}}"#);
        assert!(items(doc.as_bytes()).is_err(), "nesting");
        assert!(items(br#"{"items":[],"x":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#).is_ok());
        let many = format!(
            r#"{{"items":[{}]}}"#,
            vec![r#"{"id":"i","name":"n","version":"1"}"#; MAX_ITEMS + 1].join(",")
        );
        let err = items(many.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
        assert!(item(br#"{"id":"","name":"n","version":"1"}"#).is_err());
        assert!(library(b"not json").is_err());
    }

    #[test]
    fn versions_grow_as_numbers_or_change_as_text() {
        assert!(grew(None, "1"));
        assert!(grew(Some("9"), "10"));
        assert!(!grew(Some("10"), "10"));
        assert!(!grew(Some("10"), "9"));
        assert!(grew(Some("abc"), "abd"));
        assert!(!grew(Some("abc"), "abc"));
    }
}
