//! Generated bundles in the real layout are parsed, verified, staged and committed.

use depot_blobs::BlobStore as _;
use depot_esx::fixture::BundleBuilder;
use depot_esx::{AcceptanceLevel, DeclaredChecksum, ImportProgress, Limits, import_bundle};

use crate::support::{Store, bundle_file, parse};

const MIB: u64 = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_imports_with_every_payload_verified_and_stored() {
    let builder = BundleBuilder::new(3 * MIB);
    let store = Store::new().await;
    let imported = store
        .import(&builder.build(), Limits::default())
        .await
        .expect("import");
    let depot = &imported.depot;

    let codes: Vec<&str> = depot.vendors.iter().map(|v| v.code.as_str()).collect();
    assert_eq!(codes, ["vmw", "dell"]);
    assert_eq!(depot.vibs().count(), 7);
    // The documents are staged too: index.xml, two vendor indexes, their metadata zips.
    let documents: Vec<&str> = imported.documents.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(documents[0], "index.xml");
    assert!(documents.len() >= 5, "{documents:?}");
    assert_eq!(imported.payloads.len(), 7 + documents.len());
    // Staged, not committed: the caller decides.
    assert!(store.store.list().await.unwrap().is_empty());

    let imported_documents = imported.documents.clone();
    let committed = imported.payloads.commit().await.expect("commit");
    let mut stored: Vec<_> = store.store.list().await.unwrap();
    stored.sort();
    let mut expected: Vec<_> = depot
        .vibs()
        .map(|v| (v.sha256.expect("hashed"), v.packed_size))
        .chain(imported_documents.iter().map(|d| (d.sha256, d.size)))
        .collect();
    expected.sort();
    assert_eq!(
        stored
            .iter()
            .map(|b| (b.digest, b.size))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(committed.len(), 7 + imported_documents.len());
    for vib in depot.vibs() {
        assert_eq!(vib.packed_size, 3 * MIB);
        let DeclaredChecksum::Sha256(declared) = vib.declared else {
            panic!("sha-256 declared")
        };
        assert_eq!(Some(declared), vib.sha256);
        let (mut reader, size) = store.store.open(&declared).await.expect("stored payload");
        assert_eq!(size, 3 * MIB);
        let mut head = [0u8; 8];
        tokio::io::AsyncReadExt::read_exact(&mut reader, &mut head)
            .await
            .unwrap();
        assert_eq!(&head, b"!<arch>\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_or_aborted_import_leaves_nothing() {
    let bundle = BundleBuilder::new(MIB).build();
    let store = Store::new().await;
    let imported = store
        .import(&bundle, Limits::default())
        .await
        .expect("import");
    assert_eq!(imported.payloads.len(), 7 + imported.documents.len());
    imported.payloads.abort().await;
    store.assert_empty().await;
    let imported = store
        .import(&bundle, Limits::default())
        .await
        .expect("import");
    drop(imported);
    store.assert_empty().await;
}

#[test]
fn the_model_holds_what_the_metadata_says() {
    let depot = parse(&BundleBuilder::new(4096).build()).expect("parse");
    let vmw = &depot.vendors[0];
    assert_eq!(
        (vmw.name.as_str(), vmw.index.as_str()),
        ("VMware, Inc.", "vendor-index.xml")
    );
    let meta = &vmw.metadata[0];
    assert_eq!(
        (
            meta.path.as_str(),
            meta.product_id.as_str(),
            meta.version.as_str()
        ),
        ("metadata.zip", "embeddedEsx", "8.0.3")
    );
    assert_eq!(meta.channels, ["default"]);
    assert_eq!(meta.bulletins.len(), 4);
    let base = meta
        .bulletins
        .iter()
        .find(|b| b.id == "esx-base_8.0.3-0.0.1")
        .expect("esx-base bulletin");
    assert_eq!(
        base.vib_ids,
        [
            "VMW_bootbank_esx-base_8.0.3-0.0.1",
            "VMW_bootbank_bmcal_8.0.3-0.0.1"
        ]
    );
    let (name, version) = base.component.as_ref().expect("a component");
    assert_eq!(
        (name.name.as_str(), name.display_name.as_str()),
        ("esx-base", "ESXi")
    );
    assert_eq!(version.version, "8.0.3-0.0.1");

    let foo = depot
        .vibs()
        .find(|v| v.name == "foo-driver")
        .expect("foo-driver");
    assert_eq!(foo.id, "VMW_bootbank_foo-driver_1.2.0-1");
    assert_eq!(
        (foo.vendor.as_str(), foo.kind.as_str()),
        ("VMW", "bootbank")
    );
    assert_eq!(foo.acceptance_level, AcceptanceLevel::Partner);
    assert_eq!(
        foo.payload.as_str(),
        "vib20/foo-driver/VMW_bootbank_foo-driver_1.2.0-1.vib"
    );
    assert_eq!(foo.packed_size, 4096);
    assert_eq!(foo.software_tags, ["driver"]);

    assert_eq!(meta.base_images[0].release_id, "ESXi_8.0.3-0.0.1");
    assert_eq!(meta.solutions[0].components["vmware-fdm"], ["8.0.3-1"]);
    let dell = &depot.vendors[1].metadata[0];
    assert_eq!(dell.addons[0].vendor, "Dell Inc.");
    assert_eq!(dell.addons[0].supported_base_images, ["8.0.3"]);
    assert_eq!(
        (
            dell.hardware_support[0].manager.as_str(),
            dell.hardware_support[0].package.as_str()
        ),
        ("dell-hsm", "dell-fw-pkg")
    );
}

#[test]
fn identity_follows_the_metadata_not_the_zip() {
    let stored = parse(&BundleBuilder::new(4096).build()).unwrap();
    let deflated = parse(&BundleBuilder::new(4096).deflate_payloads().build()).unwrap();
    let again = parse(&BundleBuilder::new(4096).build()).unwrap();
    assert_eq!(stored.identity, deflated.identity);
    assert_eq!(stored.identity, again.identity);
    // Other payloads mean other checksums in the metadata: another depot.
    let other = parse(&BundleBuilder::new(4096).seed(7).build()).unwrap();
    assert_ne!(stored.identity, other.identity);
    // An extra metadata file is metadata content too.
    let noted = parse(
        &BundleBuilder::new(4096)
            .with_metadata_entry("notes.txt", "x")
            .build(),
    )
    .unwrap();
    assert_ne!(stored.identity, noted.identity);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_sha1_is_verified_and_the_sha256_computed() {
    let builder = BundleBuilder::new(MIB)
        .declare_sha1("dell-nic")
        .deflate_payloads();
    let store = Store::new().await;
    let imported = store
        .import(&builder.build(), Limits::default())
        .await
        .expect("import");
    let nic = imported
        .depot
        .vibs()
        .find(|v| v.name == "dell-nic")
        .unwrap();
    assert!(matches!(nic.declared, DeclaredChecksum::Sha1(_)));
    let digest = nic.sha256.expect("computed");
    imported.payloads.commit().await.expect("commit");
    assert_eq!(store.store.stat(&digest).await.unwrap(), Some(MIB));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_vibs_import_in_one_pass() {
    // 300 payloads staged at once: each holds an open file until commit.
    let builder = BundleBuilder::new(64 * 1024).extra_components(293, 300 * 1024 + 7);
    let store = Store::new().await;
    let imported = store
        .import(&builder.build(), Limits::default())
        .await
        .expect("import");
    let documents = imported.documents.len();
    assert_eq!(imported.payloads.len(), 300 + documents);
    let committed = imported.payloads.commit().await.expect("commit");
    assert_eq!(committed.len(), 300 + documents);
    assert_eq!(store.store.list().await.unwrap().len(), 300 + documents);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_the_payload_bytes() {
    let builder = BundleBuilder::new(MIB);
    let store = Store::new().await;
    let progress = ImportProgress::new();
    assert_eq!((progress.bytes_done(), progress.bytes_total()), (0, 0));
    let file = bundle_file(&builder.build());
    let imported = import_bundle(file, store.store.clone(), Limits::default(), &progress)
        .await
        .expect("import");
    assert_eq!(progress.bytes_total(), 7 * MIB);
    assert_eq!(progress.bytes_done(), 7 * MIB);
    drop(imported);
}
