//! Parsing and validating a catalog file: [`parse_catalog`].
//!
//! The file is read in layers so that every error can name its JSON path and nothing is
//! lost: the whole text is first checked as JSON (syntax errors carry line and column),
//! then the top-level object and the `patches` object are split into raw values (duplicate
//! keys are errors), and each patch is deserialized into typed structs while its raw text
//! is kept for writing the catalog back.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::CatalogError;
use crate::model::{Header, Patch, PatchFields, ProductVersionCatalog};
use crate::path::JsonPath;
use crate::values::{CatalogTime, ProductType, non_negative_i64};

/// Parses and validates a catalog file.
///
/// Rules, beyond the field types of the model:
/// - required at top level: `version`, `sequenceNumber`, `creationTime`, `publishedTime`,
///   `patches`; see [`Patch`], [`Bundle`](crate::Bundle),
///   [`ProductBinary`](crate::ProductBinary) for the rest;
/// - `null` is a wrong type for a required field and means "absent" for an optional one;
/// - unknown fields are accepted and kept (top-level ones, and everything inside a patch),
///   so a catalog written back by [`ProductVersionCatalog::to_json`] carries all signed data;
/// - a JSON object with a repeated key is refused;
/// - a `productVersion` repeated within one product type is refused, naming both places;
/// - a leading UTF-8 byte-order mark is skipped.
///
/// The first problem found is returned.
pub fn parse_catalog(bytes: &[u8]) -> Result<ProductVersionCatalog, CatalogError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let (line, column) = line_column(bytes, err.valid_up_to());
        CatalogError::InvalidJson {
            line,
            column,
            reason: "invalid UTF-8".to_owned(),
        }
    })?;
    let top: RawObject<'_> = from_text(text, &JsonPath::root)?;
    check_unique_keys(&top, &JsonPath::root)?;

    let mut version = None;
    let mut sequence_number = None;
    let mut creation_time = None;
    let mut published_time = None;
    let mut patches = None;
    let mut extra = Vec::new();
    for (key, raw) in top.0 {
        let path = || JsonPath::root().key(&key);
        match key.as_str() {
            "version" => version = Some(from_text::<u32>(raw.get(), &path)?),
            "sequenceNumber" => sequence_number = Some(from_text::<Sequence>(raw.get(), &path)?.0),
            "creationTime" => creation_time = Some(from_text::<CatalogTime>(raw.get(), &path)?),
            "publishedTime" => published_time = Some(from_text::<CatalogTime>(raw.get(), &path)?),
            "patches" => patches = Some(parse_patches(raw)?),
            _ => extra.push((key, raw.to_owned())),
        }
    }
    let missing = |name: &str| CatalogError::MissingField {
        path: JsonPath::root().key(name),
    };
    Ok(ProductVersionCatalog {
        header: Header {
            version: version.ok_or_else(|| missing("version"))?,
            sequence_number: sequence_number.ok_or_else(|| missing("sequenceNumber"))?,
            creation_time: creation_time.ok_or_else(|| missing("creationTime"))?,
            published_time: published_time.ok_or_else(|| missing("publishedTime"))?,
            extra,
        },
        patches: patches.ok_or_else(|| missing("patches"))?,
    })
}

/// Parses the `patches` object: product type → array of patches.
fn parse_patches(raw: &RawValue) -> Result<BTreeMap<ProductType, Vec<Patch>>, CatalogError> {
    let patches_path = || JsonPath::root().key("patches");
    let object: RawObject<'_> = from_text(raw.get(), &patches_path)?;
    check_unique_keys(&object, &patches_path)?;
    let mut result = BTreeMap::new();
    for (key, raw_list) in object.0 {
        let type_path = || patches_path().key(&key);
        let product_type: ProductType =
            key.parse()
                .map_err(|err: CatalogError| CatalogError::InvalidField {
                    path: type_path(),
                    reason: match err {
                        CatalogError::InvalidValue { what, reason } => format!("{what} {reason}"),
                        other => other.to_string(),
                    },
                })?;
        let list: Vec<&RawValue> = from_text(raw_list.get(), &type_path)?;
        let mut parsed = Vec::with_capacity(list.len());
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(list.len());
        for (index, raw_patch) in list.iter().enumerate() {
            let patch = parse_patch(raw_patch, &|| type_path().index(index))?;
            parsed.push(patch);
        }
        for (index, patch) in parsed.iter().enumerate() {
            if let Some(first) = seen.insert(patch.product_version.as_str(), index) {
                let at = |i: usize| type_path().index(i).key("productVersion");
                return Err(CatalogError::DuplicateProductVersion {
                    product_version: patch.product_version.to_string(),
                    first: at(first),
                    second: at(index),
                });
            }
        }
        result.insert(product_type, parsed);
    }
    Ok(result)
}

/// Parses one patch, keeping its raw text.
fn parse_patch(raw: &RawValue, path: &dyn Fn() -> JsonPath) -> Result<Patch, CatalogError> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    let fields: PatchFields = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| data_error(path().join(err.path()), err.inner()))?;
    Ok(Patch {
        product_version: fields.product_version,
        release_date: fields.release_date,
        description: fields.description,
        bundles: fields.artifacts.bundles,
        metadata: fields.metadata.unwrap_or_default(),
        raw: raw.to_owned(),
    })
}

/// Deserializes `text`, mapping errors to [`CatalogError`] at `path`.
fn from_text<'a, T: Deserialize<'a>>(
    text: &'a str,
    path: &dyn Fn() -> JsonPath,
) -> Result<T, CatalogError> {
    serde_json::from_str(text).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => data_error(path(), &err),
        _ => CatalogError::InvalidJson {
            line: err.line(),
            column: err.column(),
            reason: message_without_position(&err),
        },
    })
}

/// Maps a type or value error found at `path` (a missing field is reported at the field).
fn data_error(path: JsonPath, err: &serde_json::Error) -> CatalogError {
    let message = message_without_position(err);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return CatalogError::MissingField {
            path: path.key(field),
        };
    }
    CatalogError::InvalidField {
        path,
        reason: message,
    }
}

/// serde_json's message without the " at line L column C" it appends.
fn message_without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match message.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_owned(),
        None => message,
    }
}

/// 1-based line and column of byte `offset`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.split(|&b| b == b'\n').count();
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

/// Refuses objects that repeat a key.
fn check_unique_keys(
    object: &RawObject<'_>,
    path: &dyn Fn() -> JsonPath,
) -> Result<(), CatalogError> {
    let mut seen = HashSet::with_capacity(object.0.len());
    for (key, _) in &object.0 {
        if !seen.insert(key.as_str()) {
            return Err(CatalogError::DuplicateKey {
                path: path().key(key),
            });
        }
    }
    Ok(())
}

/// A JSON object split into its entries, in order, values left unparsed.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(RawObject(entries))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// `sequenceNumber`: a non-negative 64-bit integer.
struct Sequence(u64);

impl<'de> Deserialize<'de> for Sequence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        non_negative_i64(deserializer).map(Sequence)
    }
}

/// Deserializes an owned value from raw JSON text (used by tests of the model types).
#[cfg(test)]
pub(crate) fn from_raw<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CatalogError> {
    from_text(text, &JsonPath::root)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"version":1,"sequenceNumber":7,"creationTime":"2025-03-21T09:42:55.024Z",
        "publishedTime":"2025-03-21T09:42:55.024Z","patches":{}}"#;

    #[test]
    fn minimal_catalog_parses() {
        let catalog = parse_catalog(MINIMAL.as_bytes()).expect("valid");
        assert_eq!(catalog.sequence_number(), 7);
        assert_eq!(catalog.patch_count(), 0);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(MINIMAL.as_bytes());
        assert!(parse_catalog(&bytes).is_ok());
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse_catalog(b"{\n  \"version\": 1,\n  oops\n}").expect_err("syntax");
        let CatalogError::InvalidJson { line, column, .. } = err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!((line, column), (3, 3));
        let err = parse_catalog(b"{\"a\": \"\xff\"}").expect_err("utf-8");
        assert!(
            matches!(
                err,
                CatalogError::InvalidJson {
                    line: 1,
                    column: 8,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = parse_catalog(b"{\"version\": 1").expect_err("eof");
        assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_INVALID_JSON");
    }

    #[test]
    fn wrong_shape_at_root() {
        let err = parse_catalog(b"[1, 2]").expect_err("array");
        assert_eq!(
            err.to_string(),
            "invalid value at $: invalid type: sequence, expected a JSON object"
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let text = MINIMAL.replace("\"version\":1", "\"version\":1,\"version\":2");
        let err = parse_catalog(text.as_bytes()).expect_err("duplicate");
        assert_eq!(err.to_string(), "duplicate key $.version");
        let text = MINIMAL.replace("\"patches\":{}", r#""patches":{"A":[],"A":[]}"#);
        let err = parse_catalog(text.as_bytes()).expect_err("duplicate");
        assert_eq!(err.to_string(), "duplicate key $.patches.A");
    }

    #[test]
    fn unknown_top_level_fields_round_trip() {
        let text = MINIMAL.replace(
            "\"patches\":{}",
            r#""patches":{},"future":{"big":123456789012345678901234567890}"#,
        );
        let catalog = parse_catalog(text.as_bytes()).expect("valid");
        let json = String::from_utf8(catalog.to_json()).expect("utf-8");
        assert!(
            json.contains(r#""future":{"big":123456789012345678901234567890}"#),
            "{json}"
        );
        let again = parse_catalog(json.as_bytes()).expect("reparse");
        assert_eq!(again.unknown_fields().count(), 1);
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column(b"ab", 0), (1, 1));
    }

    #[test]
    fn from_raw_reports_missing_fields_at_the_field() {
        let err = from_raw::<crate::KeyValue>(r#"{"key":"k"}"#).expect_err("missing");
        assert_eq!(err.to_string(), "required field $.value is missing");
    }
}
