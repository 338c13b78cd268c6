//! An online depot: the unzipped form of an offline bundle, served over HTTP(S). Its
//! documents come through a [`DepotDocuments`] (the caller's HTTP client: this crate
//! knows no HTTP) and are parsed exactly as a bundle's are, under the same [`Limits`];
//! its VIB payloads are not read here but listed ([`OnlinePayload`]) for the caller to
//! download, verify and then record with [`set_payload_digests`].
//!
//! Paths are relative to the depot root (the directory of its index document) and are
//! [`EntryName`]s: a document naming a URL, an absolute path or a `..` that leaves the
//! root is refused, so every document and payload is fetched from below the root.

use std::collections::BTreeMap;

use depot_model::Sha256Digest;

use crate::documents::{DepotDocuments, read_metadata};
use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::limits::Limits;
use crate::model::{DeclaredChecksum, EsxDepot};

/// Reads an online depot's metadata: `index` (its root document, e.g. `index.xml` or
/// `vmw-depot-index.xml`) → vendor indexes → metadata zips. Synchronous (it parses zips
/// and XML): run it on a blocking thread. The VIBs come back with `sha256` unset.
pub fn read_online_depot(
    source: &mut dyn DepotDocuments,
    index: &EntryName,
    limits: &Limits,
) -> Result<EsxDepot, EsxError> {
    let depot = read_metadata(source, index, limits)?;
    online_payloads(&depot)?;
    Ok(depot)
}

/// A VIB payload of an online depot, to download: its path below the depot root, its
/// size and the checksum its metadata declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlinePayload {
    /// The payload's path below the depot root.
    pub path: EntryName,
    /// `<packed-size>`.
    pub size: u64,
    /// `<checksum>`.
    pub declared: DeclaredChecksum,
}

/// Every distinct payload the depot's VIBs name, by path. VIBs naming the same path
/// must declare the same size and checksum (otherwise no download could satisfy both).
pub fn online_payloads(depot: &EsxDepot) -> Result<Vec<OnlinePayload>, EsxError> {
    let mut payloads: BTreeMap<&EntryName, OnlinePayload> = BTreeMap::new();
    for vib in depot.vibs() {
        let wanted = OnlinePayload {
            path: vib.payload.clone(),
            size: vib.packed_size,
            declared: vib.declared.clone(),
        };
        match payloads.get(&vib.payload) {
            Some(known) if *known != wanted => {
                return Err(EsxError::invalid(
                    vib.payload.as_str(),
                    format!(
                        "the VIB {} declares another size or checksum for a payload \
                         another VIB names",
                        vib.id
                    ),
                ));
            }
            Some(_) => {}
            None => {
                payloads.insert(&vib.payload, wanted);
            }
        }
    }
    Ok(payloads.into_values().collect())
}

/// Records each payload's SHA-256 (once downloaded and verified) on every VIB naming
/// it; a VIB whose payload is not in `digests` is left unset.
pub fn set_payload_digests(depot: &mut EsxDepot, digests: &BTreeMap<EntryName, Sha256Digest>) {
    for vendor in &mut depot.vendors {
        for bundle in &mut vendor.metadata {
            for vib in &mut bundle.vibs {
                vib.sha256 = digests.get(&vib.payload).copied();
            }
        }
    }
}
