//! The depot's document tree, wherever it lies: [`DepotDocuments`] hands out one document
//! by its path below the depot root (an entry of the bundle zip, or a file of an online
//! depot), and [`read_metadata`] walks `index.xml` → vendor indexes → metadata zips
//! through it, computing the identity. The bundle parser and the online-depot reader
//! share it, so both hold documents to the same limits and the same parsing.

use depot_model::Sha256Digest;
use sha2::Digest as _;

use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::formats::{index, vendor_index};
use crate::limits::Limits;
use crate::metadata;
use crate::model::{DepotIdentity, EsxDepot, Vendor};

/// A source of the depot's documents.
pub trait DepotDocuments {
    /// The whole document at `path` (relative to the depot root). More than `cap` bytes
    /// are refused ([`EsxError::TooLarge`]); a missing document is
    /// [`EsxError::Missing`], naming `referenced_by` (the document that names it).
    fn fetch(
        &mut self,
        path: &EntryName,
        cap: u64,
        referenced_by: &str,
    ) -> Result<Vec<u8>, EsxError>;
}

/// The depot layout itself, as errors name it.
const LAYOUT: &str = "the depot layout";

/// `index` (the depot's root document) → vendor indexes → metadata zips; the identity
/// over all of them. VIBs come back without their `sha256` (payloads are not read).
pub(crate) fn read_metadata(
    source: &mut dyn DepotDocuments,
    index: &EntryName,
    limits: &Limits,
) -> Result<EsxDepot, EsxError> {
    let index_xml = source.fetch(index, limits.max_document_size, LAYOUT)?;
    let mut identity = sha2::Sha256::new();
    identity.update(b"depot-esx identity v1\n");
    let mut vendors = Vec::new();
    for listed in index::parse(index.as_str(), &index_xml)? {
        let bytes = source.fetch(&listed.index, limits.max_document_size, index.as_str())?;
        let mut parsed = Vec::new();
        for indexed in vendor_index::parse(&listed.index, &bytes)? {
            let zip = source.fetch(
                &indexed.path,
                limits.max_metadata_zip_size,
                listed.index.as_str(),
            )?;
            parsed.push(metadata::parse(indexed, zip, limits)?);
        }
        let mut digests: Vec<Sha256Digest> = parsed.iter().map(|m| m.digest).collect();
        digests.sort_unstable();
        identity.update(format!("vendor {}\n", listed.code).as_bytes());
        for digest in digests {
            identity.update(format!("metadata {digest}\n").as_bytes());
        }
        vendors.push(Vendor {
            name: listed.name,
            code: listed.code,
            index: listed.index,
            metadata: parsed.into_iter().map(|m| m.bundle).collect(),
        });
    }
    Ok(EsxDepot {
        identity: DepotIdentity(Sha256Digest::from_bytes(identity.finalize().into())),
        vendors,
    })
}
