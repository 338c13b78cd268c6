//! Bundles whose archive is sound but whose metadata is not: malformed or hostile XML,
//! missing documents, payloads that do not match. Nothing may be stored.

use std::fmt::Write as _;

use depot_esx::fixture::BundleBuilder;
use depot_esx::{EsxError, Limits};

use crate::support::{parse, refused, refused_with};

fn small() -> BundleBuilder {
    BundleBuilder::new(64 * 1024)
}

const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<metaList><metadata><productId>&lol3;</productId><url>metadata.zip</url></metadata></metaList>"#;

const EXTERNAL: &str = r#"<?xml version="1.0"?>
<!DOCTYPE bulletin [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bulletin><id>&xxe;</id><vibList><vibID>x</vibID></vibList></bulletin>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_index_xml() {
    let error = refused(
        &small()
            .with_entry("index.xml", "<vendorList><vendor>")
            .build(),
    )
    .await;
    assert!(
        matches!(&error, EsxError::Xml { document, .. } if document == "index.xml"),
        "{error}"
    );
    let error = refused(&small().with_entry("index.xml", "<vendorList/>").build()).await;
    assert!(matches!(error, EsxError::Invalid { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_expansion_is_refused() {
    let error = refused(&small().with_entry("vendor-index.xml", LAUGHS).build()).await;
    assert!(
        matches!(&error, EsxError::Doctype { document } if document == "vendor-index.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_entities_are_refused() {
    let bundle = small()
        .with_metadata_entry("bulletins/foo-driver_1.2.0-1.xml", EXTERNAL)
        .build();
    let error = refused(&bundle).await;
    assert!(
        matches!(&error, EsxError::Doctype { document } if document == "metadata.zip!bulletins/foo-driver_1.2.0-1.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_xml_is_refused() {
    // Low-compressibility XML, so the size cap (not the ratio) refuses it.
    let mut huge = String::from("<vmware>");
    for i in 0..20_000u64 {
        let _ = write!(huge, "<x>{:x}</x>", i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    huge.push_str("</vmware>");
    let limits = Limits {
        max_document_size: 64 * 1024,
        ..Limits::default()
    };
    let error = refused_with(
        &small().with_metadata_entry("vmware.xml", huge).build(),
        limits,
    )
    .await;
    assert!(
        matches!(&error, EsxError::TooLarge { name, .. } if name == "vmware.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_xml_naming_a_missing_vendor_index() {
    let error = refused(&small().without_entry("dell-vendor-index.xml").build()).await;
    assert!(
        matches!(&error, EsxError::Missing { name, referenced_by } if name == "dell-vendor-index.xml" && referenced_by == "index.xml"),
        "{error}"
    );
    let error = refused(&small().without_entry("index.xml").build()).await;
    assert!(
        matches!(&error, EsxError::Missing { name, .. } if name == "index.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_index_naming_a_missing_or_remote_metadata_zip() {
    let error = refused(&small().without_entry("dell-metadata.zip").build()).await;
    assert!(
        matches!(&error, EsxError::Missing { name, .. } if name == "dell-metadata.zip"),
        "{error}"
    );
    let remote = "<metaList><metadata><productId>embeddedEsx</productId><url>https://evil.example/m.zip</url></metadata></metaList>";
    let error = refused(&small().with_entry("vendor-index.xml", remote).build()).await;
    assert!(matches!(error, EsxError::Invalid { .. }), "{error}");
    let error = refused(&small().with_entry("metadata.zip", "not a zip").build()).await;
    assert!(matches!(error, EsxError::NotAZip { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_zip_without_vmware_xml() {
    let error = refused(&small().without_metadata_entry("vmware.xml").build()).await;
    assert!(
        matches!(&error, EsxError::Missing { name, .. } if name == "metadata.zip!vmware.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vib_whose_checksum_does_not_match() {
    let error = refused(&small().tamper_payload("foo-driver").build()).await;
    assert!(
        matches!(&error, EsxError::VibChecksum { vib, algorithm: "sha-256", .. } if vib == "VMW_bootbank_foo-driver_1.2.0-1"),
        "{error}"
    );
    let bundle = small()
        .declare_sha1("dell-nic")
        .tamper_payload("dell-nic")
        .build();
    let error = refused(&bundle).await;
    assert!(
        matches!(
            error,
            EsxError::VibChecksum {
                algorithm: "sha-1",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vib_whose_size_does_not_match() {
    for declared in [64 * 1024 + 1, 64 * 1024 - 1] {
        let error = refused(&small().declare_packed_size("esx-update", declared).build()).await;
        assert!(
            matches!(&error, EsxError::VibSize { vib, declared: d, .. } if vib.contains("esx-update") && *d == declared),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_naming_a_vib_absent_from_the_zip() {
    let builder = small();
    let path = builder.payload_path("dell-nic").unwrap();
    let error = refused(&builder.without_entry(&path).build()).await;
    assert!(
        matches!(&error, EsxError::Missing { name, referenced_by } if *name == path && referenced_by.contains("dell-nic")),
        "{error}"
    );
}

#[test]
fn a_bulletin_naming_a_vib_without_descriptor() {
    let error = parse(
        &small()
            .without_metadata_entry("vibs/foo-driver-3.xml")
            .build(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, EsxError::Invalid { reason, .. } if reason.contains("foo-driver")),
        "{error}"
    );
}

#[test]
fn a_vib_descriptor_missing_fields_or_with_an_unknown_checksum() {
    let bad = r#"<vib><type>bootbank</type><name>foo-driver</name><version>1.2.0-1</version><vendor>VMW</vendor>
        <acceptance-level>certified</acceptance-level><relative-path>vib20/x.vib</relative-path>
        <packed-size>12</packed-size><checksum checksum-type="md5">00</checksum></vib>"#;
    let error = parse(
        &small()
            .with_metadata_entry("vibs/foo-driver-3.xml", bad)
            .build(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, EsxError::Invalid { reason, .. } if reason.contains("md5")),
        "{error}"
    );
    let no_level = bad.replace("certified", "trusted-by-me");
    let error = parse(
        &small()
            .with_metadata_entry("vibs/foo-driver-3.xml", no_level)
            .build(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, EsxError::Invalid { reason, .. } if reason.contains("acceptance")),
        "{error}"
    );
    let escaping = bad.replace("vib20/x.vib", "../../x.vib");
    let error = parse(
        &small()
            .with_metadata_entry("vibs/foo-driver-3.xml", escaping)
            .build(),
    )
    .unwrap_err();
    assert!(matches!(error, EsxError::Invalid { .. }), "{error}");
}

#[test]
fn a_release_unit_that_is_not_json() {
    let bundle = small()
        .with_metadata_entry("addons/broken.json", "{not json")
        .build();
    let error = parse(&bundle).unwrap_err();
    assert!(
        matches!(&error, EsxError::Json { document, .. } if document == "metadata.zip!addons/broken.json"),
        "{error}"
    );
}
