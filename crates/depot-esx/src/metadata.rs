//! One metadata zip: read from memory through the same checked [`Archive`], every
//! document parsed into a [`MetadataBundle`], cross-references checked, and the digest
//! of its documents computed for the depot's identity.

use std::collections::BTreeSet;
use std::io::Cursor;

use depot_model::Sha256Digest;
use sha2::Digest as _;

use crate::archive::{Archive, ArchiveLimits};
use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::formats::release_unit::{self, ReleaseUnit, UnitKind};
use crate::formats::vendor_index::IndexedMetadata;
use crate::formats::{bulletin, vib};
use crate::limits::Limits;
use crate::model::MetadataBundle;

/// The document every metadata zip has (legacy clients read it; the model is built from
/// the per-item documents, so it is only checked to be well-formed XML).
const VMWARE_XML: &str = "vmware.xml";

/// A parsed metadata zip and the digest of its documents (names and contents).
pub(crate) struct ParsedMetadata {
    pub bundle: MetadataBundle,
    pub digest: Sha256Digest,
}

/// Parses the metadata zip `bytes` that `indexed` describes.
pub(crate) fn parse(
    indexed: IndexedMetadata,
    bytes: Vec<u8>,
    limits: &Limits,
) -> Result<ParsedMetadata, EsxError> {
    let label = indexed.path.to_string();
    let mut archive = Archive::open(Cursor::new(bytes), &label, ArchiveLimits::metadata(limits))?;
    let base = indexed.path.parent().map(str::to_owned);
    let mut bundle = MetadataBundle {
        path: indexed.path,
        product_id: indexed.product_id,
        version: indexed.version,
        channels: indexed.channels,
        bulletins: Vec::new(),
        vibs: Vec::new(),
        base_images: Vec::new(),
        addons: Vec::new(),
        solutions: Vec::new(),
        hardware_support: Vec::new(),
    };
    let names: Vec<EntryName> = archive.names().cloned().collect();
    if !names.iter().any(|n| n.as_str() == VMWARE_XML) {
        return Err(EsxError::Missing {
            name: format!("{label}!{VMWARE_XML}"),
            referenced_by: "the depot layout".to_owned(),
        });
    }
    let mut identity = sha2::Sha256::new();
    for name in &names {
        let bytes = archive.read_all(name, limits.max_document_size, &label)?;
        identity.update(name.as_str().as_bytes());
        identity.update([0]);
        identity.update(Sha256Digest::compute(&bytes).as_bytes());
        let document = archive.qualified(name);
        add_document(&mut bundle, name, &document, &bytes, base.as_deref())?;
    }
    check_references(&bundle, &label)?;
    Ok(ParsedMetadata {
        bundle,
        digest: Sha256Digest::from_bytes(identity.finalize().into()),
    })
}

/// Parses one document by the directory it is in; other files are kept out of the
/// model (but not out of the identity).
fn add_document(
    bundle: &mut MetadataBundle,
    name: &EntryName,
    document: &str,
    bytes: &[u8],
    base: Option<&str>,
) -> Result<(), EsxError> {
    let unit = |kind| release_unit::parse(document, bytes, kind);
    match name.parent() {
        None if name.as_str() == VMWARE_XML => crate::document::check_xml(document, bytes)?,
        Some("bulletins") => bundle.bulletins.push(bulletin::parse(document, bytes)?),
        Some("vibs") => bundle.vibs.push(vib::parse(document, bytes, base)?),
        Some("baseimages") => push_unit(bundle, unit(UnitKind::BaseImage)?),
        Some("addons") => push_unit(bundle, unit(UnitKind::Addon)?),
        Some("solutions") => push_unit(bundle, unit(UnitKind::Solution)?),
        Some("manifests") => push_unit(bundle, unit(UnitKind::Manifest)?),
        _ => tracing::debug!(document, "metadata file not modelled"),
    }
    Ok(())
}

fn push_unit(bundle: &mut MetadataBundle, unit: ReleaseUnit) {
    match unit {
        ReleaseUnit::BaseImage(b) => bundle.base_images.push(b),
        ReleaseUnit::Addon(a) => bundle.addons.push(a),
        ReleaseUnit::Solution(s) => bundle.solutions.push(s),
        ReleaseUnit::Manifest(m) => bundle.hardware_support.push(m),
    }
}

/// Ids are unique, and every VIB a bulletin names has a descriptor.
fn check_references(bundle: &MetadataBundle, label: &str) -> Result<(), EsxError> {
    let mut vibs = BTreeSet::new();
    for vib in &bundle.vibs {
        if !vibs.insert(vib.id.as_str()) {
            return Err(EsxError::invalid(
                label,
                format!("the VIB {} is described twice", vib.id),
            ));
        }
    }
    let mut bulletins = BTreeSet::new();
    for bulletin in &bundle.bulletins {
        if !bulletins.insert(bulletin.id.as_str()) {
            return Err(EsxError::invalid(
                label,
                format!("the bulletin {} is described twice", bulletin.id),
            ));
        }
        if let Some(missing) = bulletin
            .vib_ids
            .iter()
            .find(|id| !vibs.contains(id.as_str()))
        {
            return Err(EsxError::invalid(
                label,
                format!(
                    "the bulletin {} names the VIB {missing}, which has no descriptor",
                    bulletin.id
                ),
            ));
        }
    }
    Ok(())
}
