//! [`parse_bundle`]: the one pass over a bundle. The directory is checked first; then
//! `index.xml` → vendor indexes → metadata zips (small, read into memory); then every VIB
//! payload is streamed, in the order it lies in the file, into a [`PayloadSink`] while it
//! is hashed and checked against its metadata. Synchronous: run it on a blocking thread.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use depot_model::Sha256Digest;
use sha2::Digest as _;

use crate::archive::{Archive, ArchiveLimits, BUNDLE};
use crate::documents::DepotDocuments;
use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::limits::Limits;
use crate::model::{DeclaredChecksum, EsxDepot, Vib};

/// The depot's root document.
const INDEX_XML: &str = "index.xml";

/// Where the VIB payloads of a bundle go while they are read: each payload is `begin`,
/// zero or more `write`s, `end` — `end` only once its size and checksum were verified.
/// After an error nothing more is sent; the sink must then drop what it holds.
pub trait PayloadSink {
    /// Before the first payload: how many distinct payloads will come, and their bytes.
    fn plan(&mut self, payloads: usize, bytes: u64) -> Result<(), EsxError> {
        let _ = (payloads, bytes);
        Ok(())
    }
    /// A metadata document of the depot (`index.xml`, a vendor index, a metadata zip),
    /// whole, under its path in the bundle; before any payload.
    fn document(&mut self, name: &EntryName, bytes: &[u8]) -> Result<(), EsxError> {
        let _ = (name, bytes);
        Ok(())
    }
    /// A payload starts; `vib` is (the first of) the VIB(s) it belongs to.
    fn begin(&mut self, vib: &Vib) -> Result<(), EsxError>;
    /// The next bytes of the payload.
    fn write(&mut self, data: &[u8]) -> Result<(), EsxError>;
    /// The payload is complete and verified; its SHA-256 is `sha256`.
    fn end(&mut self, sha256: Sha256Digest) -> Result<(), EsxError>;
}

/// A sink that keeps nothing (for checking a bundle, and for fuzzing).
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardPayloads;

impl PayloadSink for DiscardPayloads {
    fn begin(&mut self, _: &Vib) -> Result<(), EsxError> {
        Ok(())
    }
    fn write(&mut self, _: &[u8]) -> Result<(), EsxError> {
        Ok(())
    }
    fn end(&mut self, _: Sha256Digest) -> Result<(), EsxError> {
        Ok(())
    }
}

/// Parses and verifies the bundle in `reader`, streaming its payloads into `sink`.
/// Returns the depot with every VIB's SHA-256 filled in.
pub fn parse_bundle<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    sink: &mut dyn PayloadSink,
) -> Result<EsxDepot, EsxError> {
    let mut archive = Archive::open(reader, BUNDLE, ArchiveLimits::bundle(limits))?;
    let mut depot = read_metadata(&mut archive, limits, sink)?;
    stream_payloads(&mut archive, &mut depot, sink)?;
    Ok(depot)
}

/// `index.xml` → vendor indexes → metadata zips, read from the zip, each document
/// handed to the sink as it is read.
fn read_metadata<R: Read + Seek>(
    archive: &mut Archive<R>,
    limits: &Limits,
    sink: &mut dyn PayloadSink,
) -> Result<EsxDepot, EsxError> {
    let index = EntryName::resolve(None, INDEX_XML, INDEX_XML)?;
    crate::documents::read_metadata(&mut Documents { archive, sink }, &index, limits)
}

/// The bundle's documents, each reported to the sink once read.
struct Documents<'a, R> {
    archive: &'a mut Archive<R>,
    sink: &'a mut dyn PayloadSink,
}

impl<R: Read + Seek> DepotDocuments for Documents<'_, R> {
    fn fetch(
        &mut self,
        path: &EntryName,
        cap: u64,
        referenced_by: &str,
    ) -> Result<Vec<u8>, EsxError> {
        let bytes = self.archive.read_all(path, cap, referenced_by)?;
        self.sink.document(path, &bytes)?;
        Ok(bytes)
    }
}

/// Where each VIB is in the model: vendor, metadata bundle, VIB.
type VibAt = (usize, usize, usize);

/// Streams every payload once (several metadata zips may name the same one), in file
/// order, verifying it against every VIB that names it.
fn stream_payloads<R: Read + Seek>(
    archive: &mut Archive<R>,
    depot: &mut EsxDepot,
    sink: &mut dyn PayloadSink,
) -> Result<(), EsxError> {
    let mut payloads: BTreeMap<EntryName, Vec<VibAt>> = BTreeMap::new();
    for (v, vendor) in depot.vendors.iter().enumerate() {
        for (m, bundle) in vendor.metadata.iter().enumerate() {
            for (i, vib) in bundle.vibs.iter().enumerate() {
                if !archive.contains(&vib.payload) {
                    return Err(EsxError::Missing {
                        name: vib.payload.to_string(),
                        referenced_by: format!("the VIB {}", vib.id),
                    });
                }
                payloads
                    .entry(vib.payload.clone())
                    .or_default()
                    .push((v, m, i));
            }
        }
    }
    let mut order: Vec<(u64, EntryName)> = payloads
        .keys()
        .map(|name| (archive.offset_of(name), name.clone()))
        .collect();
    order.sort_unstable();
    let bytes = payloads
        .values()
        .map(|at| {
            at.iter()
                .map(|&(v, m, i)| vib(depot, v, m, i).packed_size)
                .max()
                .unwrap_or(0)
        })
        .sum();
    sink.plan(order.len(), bytes)?;
    for (_, name) in order {
        let at = &payloads[&name];
        let vibs: Vec<&Vib> = at.iter().map(|&(v, m, i)| vib(depot, v, m, i)).collect();
        let sha256 = stream_one(archive, &name, &vibs, sink)?;
        for &(v, m, i) in at {
            depot.vendors[v].metadata[m].vibs[i].sha256 = Some(sha256);
        }
    }
    Ok(())
}

fn vib(depot: &EsxDepot, v: usize, m: usize, i: usize) -> &Vib {
    &depot.vendors[v].metadata[m].vibs[i]
}

/// Streams one payload into the sink, hashing it; checks it against each VIB naming it.
fn stream_one<R: Read + Seek>(
    archive: &mut Archive<R>,
    name: &EntryName,
    vibs: &[&Vib],
    sink: &mut dyn PayloadSink,
) -> Result<Sha256Digest, EsxError> {
    let first = vibs[0];
    let cap = vibs.iter().map(|v| v.packed_size).max().unwrap_or(0);
    let wants_sha1 = vibs
        .iter()
        .any(|v| matches!(v.declared, DeclaredChecksum::Sha1(_)));
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = wants_sha1.then(sha1::Sha1::new);
    let mut size = 0u64;
    sink.begin(first)?;
    archive.stream(name, None, &format!("the VIB {}", first.id), |chunk| {
        size += chunk.len() as u64;
        if size > cap {
            return Err(size_error(first, size));
        }
        sha256.update(chunk);
        if let Some(sha1) = &mut sha1 {
            sha1.update(chunk);
        }
        sink.write(chunk)
    })?;
    let sha256 = Sha256Digest::from_bytes(sha256.finalize().into());
    let sha1 = sha1.map(|h| hex::encode(h.finalize()));
    for vib in vibs {
        if vib.packed_size != size {
            return Err(size_error(vib, size));
        }
        let (algorithm, declared, actual) = match &vib.declared {
            DeclaredChecksum::Sha256(d) => ("sha-256", d.to_string(), sha256.to_string()),
            DeclaredChecksum::Sha1(d) => ("sha-1", d.clone(), sha1.clone().unwrap_or_default()),
        };
        if declared != actual {
            return Err(EsxError::VibChecksum {
                vib: vib.id.clone(),
                path: vib.payload.to_string(),
                algorithm,
                declared,
                actual,
            });
        }
    }
    sink.end(sha256)?;
    Ok(sha256)
}

fn size_error(vib: &Vib, actual: u64) -> EsxError {
    EsxError::VibSize {
        vib: vib.id.clone(),
        path: vib.payload.to_string(),
        declared: vib.packed_size,
        actual,
    }
}
