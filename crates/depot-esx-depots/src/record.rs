//! What is recorded of an imported depot: its file tree (documents and payloads by
//! path in the bundle).

use std::collections::BTreeMap;

use depot_esx::{EsxDepot, StagedDocument};
use depot_model::OfflineDepotFile;

/// The depot's files by path: every metadata document and every VIB payload, each
/// path once.
pub(crate) fn file_tree(depot: &EsxDepot, documents: &[StagedDocument]) -> Vec<OfflineDepotFile> {
    let mut files = BTreeMap::new();
    for d in documents {
        files.insert(d.path.as_str().to_owned(), (d.sha256, d.size));
    }
    for vib in depot.vibs() {
        if let Some(sha256) = vib.sha256 {
            files.insert(vib.payload.as_str().to_owned(), (sha256, vib.packed_size));
        }
    }
    files
        .into_iter()
        .map(|(path, (digest, size))| OfflineDepotFile { path, digest, size })
        .collect()
}
