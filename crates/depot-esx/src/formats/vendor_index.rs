//! A vendor index (`vendor-index.xml`): the metadata zips of one vendor.
//!
//! ```xml
//! <metaList>
//!   <metadata>
//!     <productId>embeddedEsx</productId> <version>8.0.0</version> <locale></locale>
//!     <channelName>...</channelName> <url>metadata.zip</url>
//!   </metadata>
//! </metaList>
//! ```
//! `<url>` is relative to the vendor index's directory.

use serde::Deserialize;

use super::required;
use crate::entry_name::EntryName;
use crate::error::EsxError;

#[derive(Deserialize)]
struct MetaList {
    #[serde(rename = "metadata", default)]
    metadata: Vec<MetadataXml>,
}

#[derive(Deserialize)]
struct MetadataXml {
    #[serde(rename = "productId", default)]
    product_id: String,
    #[serde(default)]
    version: String,
    #[serde(rename = "channelName", default)]
    channels: Vec<String>,
    #[serde(default)]
    url: String,
}

/// A metadata zip as a vendor index lists it.
pub(crate) struct IndexedMetadata {
    pub path: EntryName,
    pub product_id: String,
    pub version: String,
    pub channels: Vec<String>,
}

/// Parses the vendor index found at `at`.
pub(crate) fn parse(at: &EntryName, bytes: &[u8]) -> Result<Vec<IndexedMetadata>, EsxError> {
    let document = at.as_str();
    let list: MetaList = crate::document::from_xml(document, bytes)?;
    if list.metadata.is_empty() {
        return Err(EsxError::invalid(document, "it lists no metadata"));
    }
    list.metadata
        .into_iter()
        .map(|m| {
            let url = required(document, "url", &m.url)?;
            Ok(IndexedMetadata {
                path: EntryName::resolve(at.parent(), &url, document)?,
                product_id: required(document, "productId", &m.product_id)?,
                version: m.version.trim().to_owned(),
                channels: m
                    .channels
                    .into_iter()
                    .map(|c| c.trim().to_owned())
                    .collect(),
            })
        })
        .collect()
}
