//! The parsed Product Version Catalog: [`ProductVersionCatalog`] and the [`Patch`]es it lists.
//!
//! Everything here comes out of [`parse_catalog`](crate::parse_catalog), so it is valid by
//! construction. Each patch keeps its exact JSON text, so writing a catalog back
//! ([`ProductVersionCatalog::to_json`]) never loses a field this crate does not know.

use std::collections::BTreeMap;

use depot_model::Sha256Digest;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::values::{
    BundleType, CatalogTime, FileName, ProductType, ProductVersion, checksum, non_negative_i64,
};

/// A Product Version Catalog: which product versions exist and which bundles make them up.
#[derive(Debug, Clone)]
pub struct ProductVersionCatalog {
    pub(crate) header: Header,
    pub(crate) patches: BTreeMap<ProductType, Vec<Patch>>,
}

/// The top-level fields besides `patches`.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) version: u32,
    pub(crate) sequence_number: u64,
    pub(crate) creation_time: CatalogTime,
    pub(crate) published_time: CatalogTime,
    /// Top-level fields this crate does not know, in file order, as written.
    pub(crate) extra: Vec<(String, Box<RawValue>)>,
}

impl ProductVersionCatalog {
    /// The catalog format version (`version`).
    pub fn version(&self) -> u32 {
        self.header.version
    }

    /// The publication number (`sequenceNumber`); higher is newer.
    pub fn sequence_number(&self) -> u64 {
        self.header.sequence_number
    }

    /// When the catalog was created (`creationTime`).
    pub fn creation_time(&self) -> &CatalogTime {
        &self.header.creation_time
    }

    /// When the catalog was published (`publishedTime`).
    pub fn published_time(&self) -> &CatalogTime {
        &self.header.published_time
    }

    /// The patches per product type, product types in sorted order, patches in file order
    /// (merged ones appended).
    pub fn patches(&self) -> &BTreeMap<ProductType, Vec<Patch>> {
        &self.patches
    }

    /// The patches of one product type (empty if there are none).
    pub fn patches_of(&self, product_type: &str) -> &[Patch] {
        self.patches.get(product_type).map_or(&[], Vec::as_slice)
    }

    /// The patch of `product_type` with `product_version`, if listed.
    pub fn find(&self, product_type: &str, product_version: &str) -> Option<&Patch> {
        self.patches_of(product_type)
            .iter()
            .find(|patch| patch.product_version.as_str() == product_version)
    }

    /// Number of patches over all product types.
    pub fn patch_count(&self) -> usize {
        self.patches.values().map(Vec::len).sum()
    }

    /// Top-level fields this crate does not interpret, as `(name, JSON text)`.
    pub fn unknown_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .extra
            .iter()
            .map(|(name, raw)| (name.as_str(), raw.get()))
    }

    /// The catalog as compact JSON: the known top-level fields, then the unknown ones, with
    /// every patch written exactly as it was read.
    ///
    /// To serve a catalog that was stored by a replace, prefer the original file bytes; this
    /// is for catalogs produced by a merge.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&CatalogJson(self))
            .expect("strings, integers and already-valid raw JSON always serialize")
    }
}

/// Serializes a catalog in the file format.
struct CatalogJson<'a>(&'a ProductVersionCatalog);

impl Serialize for CatalogJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let header = &self.0.header;
        let mut map = serializer.serialize_map(Some(5 + header.extra.len()))?;
        map.serialize_entry("version", &header.version)?;
        map.serialize_entry("sequenceNumber", &header.sequence_number)?;
        map.serialize_entry("creationTime", &header.creation_time)?;
        map.serialize_entry("publishedTime", &header.published_time)?;
        let patches: BTreeMap<&str, Vec<&RawValue>> = self
            .0
            .patches
            .iter()
            .map(|(product_type, list)| {
                let raws = list.iter().map(|patch| patch.raw.as_ref()).collect();
                (product_type.as_str(), raws)
            })
            .collect();
        map.serialize_entry("patches", &patches)?;
        for (name, raw) in &header.extra {
            map.serialize_entry(name, raw)?;
        }
        map.end()
    }
}

/// One product version of one product type, with its bundles.
///
/// Required in the file: `productVersion`, `artifacts` and `artifacts.bundles`. Optional:
/// `releaseDate`, `description`, `metadata`.
#[derive(Debug, Clone)]
pub struct Patch {
    pub(crate) product_version: ProductVersion,
    pub(crate) release_date: Option<CatalogTime>,
    pub(crate) description: Option<String>,
    pub(crate) bundles: Vec<Bundle>,
    pub(crate) metadata: Vec<Metadata>,
    /// The patch's JSON exactly as it was read (unknown fields included).
    pub(crate) raw: Box<RawValue>,
}

impl Patch {
    /// The version this patch describes; unique within its product type.
    pub fn product_version(&self) -> &ProductVersion {
        &self.product_version
    }

    /// `releaseDate`, if given.
    pub fn release_date(&self) -> Option<&CatalogTime> {
        self.release_date.as_ref()
    }

    /// `description`, if given.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `artifacts.bundles`.
    pub fn bundles(&self) -> &[Bundle] {
        &self.bundles
    }

    /// `metadata` (empty if absent).
    pub fn metadata(&self) -> &[Metadata] {
        &self.metadata
    }

    /// The patch's JSON text exactly as it was in the file.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// Whether two patches were written identically (byte for byte, unknown fields
    /// included).
    pub fn same_json(&self, other: &Patch) -> bool {
        self.raw.get() == other.raw.get()
    }
}

/// The fields of a patch as they are deserialized; [`Patch`] adds the raw JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatchFields {
    pub(crate) release_date: Option<CatalogTime>,
    pub(crate) description: Option<String>,
    pub(crate) product_version: ProductVersion,
    pub(crate) artifacts: Artifacts,
    pub(crate) metadata: Option<Vec<Metadata>>,
}

/// `artifacts` of a patch.
#[derive(Deserialize)]
pub(crate) struct Artifacts {
    pub(crate) bundles: Vec<Bundle>,
}

/// A bundle (`BundleInfo`): a downloadable unit made of binaries.
///
/// All fields are required in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// `id`: a hyphenated UUID.
    #[serde(deserialize_with = "hyphenated_uuid")]
    pub id: Uuid,
    /// `type` (`PATCH`, `INSTALL`, …).
    #[serde(rename = "type")]
    pub bundle_type: BundleType,
    /// `name` (in practice the id again).
    pub name: String,
    /// `binaries`.
    pub binaries: Vec<ProductBinary>,
}

/// A file of a bundle (`ProductBinary`).
///
/// Required in the file: `fileName`, `size`, `checksum`; `metadata` is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductBinary {
    /// `fileName`: a plain file name.
    pub file_name: FileName,
    /// `size` in bytes (at most `i64::MAX`).
    #[serde(deserialize_with = "non_negative_i64")]
    pub size: u64,
    /// `checksum`: SHA-256 of the file.
    #[serde(deserialize_with = "checksum")]
    pub checksum: Sha256Digest,
    /// `metadata` (empty if absent).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: Vec<Metadata>,
}

/// A tagged list of key/value settings (`Metadata`); both fields are optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Metadata {
    /// `tag`.
    pub tag: Option<String>,
    /// `configuration` (empty if absent).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub configuration: Vec<KeyValue>,
}

/// One `{ "key": …, "value": … }` entry of [`Metadata`]; both are required strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyValue {
    /// `key`.
    pub key: String,
    /// `value`.
    pub value: String,
}

/// Reads an absent or `null` list as empty.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads a UUID in its hyphenated 36-character form only (no braces, URNs or bare hex).
fn hyphenated_uuid<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.len() == 36
        && let Ok(id) = Uuid::try_parse(&text)
    {
        return Ok(id);
    }
    Err(serde::de::Error::custom(
        "bundle id must be a UUID such as 0b7056c9-21ce-4e6c-9869-5121b7066973",
    ))
}
