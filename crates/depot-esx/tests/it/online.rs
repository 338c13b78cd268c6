//! The online-depot reader over an unzipped fixture bundle on disk: the same model and
//! identity as the bundle parser, and the same refusals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use depot_esx::fixture::BundleBuilder;
use depot_esx::{
    DeclaredChecksum, DepotDocuments, EntryName, EsxDepot, EsxError, Limits, online_payloads,
    read_online_depot, set_payload_digests,
};

use crate::support::parse;

/// The documents of a depot tree on disk.
struct Tree(PathBuf);

impl DepotDocuments for Tree {
    fn fetch(
        &mut self,
        path: &EntryName,
        cap: u64,
        referenced_by: &str,
    ) -> Result<Vec<u8>, EsxError> {
        let Ok(bytes) = std::fs::read(self.0.join(path.as_str())) else {
            return Err(EsxError::Missing {
                name: path.to_string(),
                referenced_by: referenced_by.to_owned(),
            });
        };
        if bytes.len() as u64 > cap {
            return Err(EsxError::TooLarge {
                name: path.to_string(),
                limit: cap,
            });
        }
        Ok(bytes)
    }
}

fn read(dir: &Path) -> Result<EsxDepot, EsxError> {
    let index = EntryName::parse(b"index.xml").unwrap();
    read_online_depot(&mut Tree(dir.to_owned()), &index, &Limits::default())
}

fn tree(builder: &BundleBuilder) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    builder.write_tree(dir.path()).unwrap();
    dir
}

#[test]
fn an_online_depot_reads_as_its_bundle_does() {
    let builder = BundleBuilder::new(4096);
    let offline = parse(&builder.build()).unwrap();
    let dir = tree(&builder);
    let mut online = read(dir.path()).unwrap();
    assert_eq!(online.identity, offline.identity);
    assert!(online.vibs().all(|v| v.sha256.is_none()));

    let payloads = online_payloads(&online).unwrap();
    assert_eq!(payloads.len(), builder.payload_totals().0);
    let mut digests = BTreeMap::new();
    for payload in &payloads {
        let bytes = std::fs::read(dir.path().join(payload.path.as_str())).unwrap();
        assert_eq!(bytes.len() as u64, payload.size);
        let digest = depot_model::Sha256Digest::compute(&bytes);
        assert_eq!(payload.declared, DeclaredChecksum::Sha256(digest));
        digests.insert(payload.path.clone(), digest);
    }
    set_payload_digests(&mut online, &digests);
    assert_eq!(online, offline);
    assert_eq!(
        serde_json::to_value(online.content()).unwrap(),
        serde_json::to_value(offline.content()).unwrap()
    );
}

#[test]
fn a_missing_metadata_zip_is_refused() {
    let dir = tree(&BundleBuilder::new(64));
    std::fs::remove_file(dir.path().join("metadata.zip")).unwrap();
    let error = read(dir.path()).unwrap_err();
    assert!(
        matches!(&error, EsxError::Missing { name, .. } if name == "metadata.zip"),
        "{error}"
    );
}

#[test]
fn hrefs_leaving_the_root_or_naming_urls_are_refused() {
    for url in [
        "../metadata.zip",
        "https://elsewhere.example/metadata.zip",
        "/etc/passwd",
    ] {
        let dir = tree(&BundleBuilder::new(64));
        let index = std::fs::read_to_string(dir.path().join("vendor-index.xml")).unwrap();
        let index = index.replace("<url>metadata.zip</url>", &format!("<url>{url}</url>"));
        std::fs::write(dir.path().join("vendor-index.xml"), index).unwrap();
        let error = read(dir.path()).unwrap_err();
        assert!(matches!(error, EsxError::Invalid { .. }), "{url}: {error}");
    }
}

#[test]
fn hostile_xml_is_refused() {
    let dir = tree(&BundleBuilder::new(64));
    std::fs::write(
        dir.path().join("index.xml"),
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><vendorList>&a;</vendorList>",
    )
    .unwrap();
    let error = read(dir.path()).unwrap_err();
    assert!(matches!(error, EsxError::Doctype { .. }), "{error}");
}

#[test]
fn vibs_disagreeing_on_a_shared_payload_are_refused() {
    let mut depot = parse(&BundleBuilder::new(64).build()).unwrap();
    let first = depot.vendors[0].metadata[0].vibs[0].clone();
    let mut twin = first.clone();
    twin.id.push_str("-twin");
    twin.packed_size += 1;
    depot.vendors[0].metadata[0].vibs.push(twin);
    let error = online_payloads(&depot).unwrap_err();
    assert!(
        error.to_string().contains(first.payload.as_str()),
        "{error}"
    );
}
