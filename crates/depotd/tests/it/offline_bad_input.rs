//! Every bad bundle of issue 14 through the real server: uploaded to `/vum-fileupload`,
//! imported with `create$task` (PUSH), the task `FAILED` with `InvalidArgument` and a
//! message naming what is wrong, no depot listed, and no blob stored but the uploads.

use std::fmt::Write as _;

use axum::http::Method;
use serde_json::{Value, json};

use crate::offline_depots::{Client, OFFLINE, bundle, push};

/// A `DOCTYPE` with nested entities (billion laughs, three levels).
const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<metaList><metadata><productId>&lol3;</productId><url>metadata.zip</url></metadata></metaList>"#;

/// A `DOCTYPE` with an external entity (XXE).
const EXTERNAL: &str = r#"<?xml version="1.0"?>
<!DOCTYPE bulletin [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bulletin><id>&xxe;</id><vibList><vibID>x</vibID></vibList></bulletin>"#;

/// A bad bundle, and the words of which its task's error message must hold one.
struct Case {
    what: &'static str,
    zip: Vec<u8>,
    says: &'static [&'static str],
}

fn case(what: &'static str, zip: Vec<u8>, says: &'static [&'static str]) -> Case {
    Case { what, zip, says }
}

/// `vmware.xml` of 17 MiB that deflate cannot shrink much: over the 16 MiB document
/// limit without tripping the compression-ratio check first.
fn huge_xml() -> String {
    let mut huge = String::with_capacity(18 << 20);
    huge.push_str("<?xml version=\"1.0\"?><metadataResponse>");
    let mut i: u64 = 0;
    while huge.len() < 17 << 20 {
        i = i.wrapping_add(1);
        let _ = write!(
            huge,
            "<x>{:016x}</x>",
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
    }
    huge.push_str("</metadataResponse>");
    huge
}

/// Archives that lie or try to escape.
fn archive_cases() -> Vec<Case> {
    let good = bundle().build();
    let vib = bundle().payload_path("foo-driver").expect("a payload path");
    vec![
        case(
            "not a zip",
            b"this is not a zip file at all".repeat(100),
            &["not a valid zip archive"],
        ),
        case(
            "truncated",
            good[..good.len() * 2 / 3].to_vec(),
            &["not a valid zip archive"],
        ),
        case(
            "directory understates a payload",
            bundle()
                .deflate_payloads()
                .declare_entry_size(&vib, 1000)
                .build(),
            // Whichever notices first: the zip reader's own size check, or ours.
            &[
                "its directory says 1000",
                "is larger than its declared uncompressed size",
            ],
        ),
        case(
            "directory overstates a document",
            bundle().declare_entry_size("index.xml", 50_000).build(),
            &["its directory says 50000"],
        ),
        case(
            "zip bomb by ratio",
            bundle()
                .with_entry("bomb.bin", vec![0u8; 8 << 20])
                .deflate_payloads()
                .build(),
            &["bomb.bin inflates"],
        ),
        case(
            "dot-dot name",
            bundle().with_entry("../evil.txt", "x").build(),
            &["\"../evil.txt\" is not allowed"],
        ),
        case(
            "absolute name",
            bundle().with_entry("/etc/evil.txt", "x").build(),
            &["\"/etc/evil.txt\" is not allowed"],
        ),
        case(
            "backslash name",
            bundle().with_entry("vib20\\evil.txt", "x").build(),
            &["is not allowed"],
        ),
        case(
            "duplicate entries",
            bundle()
                .with_duplicate_entry("index.xml", "<vendorList/>")
                .build(),
            &["two entries with the same name"],
        ),
        case(
            "symlink entry",
            bundle()
                .with_symlink("vib20/link.vib", "/etc/shadow")
                .build(),
            &["vib20/link.vib is a symbolic link"],
        ),
    ]
}

/// Sound archives whose metadata or payloads are hostile or wrong.
fn metadata_cases() -> Vec<Case> {
    let vib = bundle().payload_path("dell-nic").expect("a payload path");
    vec![
        case(
            "malformed XML",
            bundle()
                .with_entry("index.xml", "<vendorList><vendor>")
                .build(),
            &["index.xml is not valid"],
        ),
        case(
            "external entity",
            bundle()
                .with_metadata_entry("bulletins/foo-driver_1.2.0-1.xml", EXTERNAL)
                .build(),
            &["bulletins/foo-driver_1.2.0-1.xml declares a DOCTYPE"],
        ),
        case(
            "billion laughs",
            bundle().with_entry("vendor-index.xml", LAUGHS).build(),
            &["vendor-index.xml declares a DOCTYPE"],
        ),
        case(
            "huge XML",
            bundle()
                .with_metadata_entry("vmware.xml", huge_xml())
                .build(),
            &["vmware.xml is larger than the limit"],
        ),
        case(
            "index.xml naming a missing vendor index",
            bundle().without_entry("dell-vendor-index.xml").build(),
            &["dell-vendor-index.xml is missing from the offline depot (named by index.xml)"],
        ),
        case(
            "VIB checksum mismatch",
            bundle().tamper_payload("foo-driver").build(),
            &["foo-driver_1.2.0-1.vib) has sha-256"],
        ),
        case(
            "VIB size mismatch",
            bundle()
                .declare_packed_size("esx-update", 24 * 1024 + 1)
                .build(),
            &["its metadata declares 24577"],
        ),
        case(
            "VIB absent from the zip",
            bundle().without_entry(&vib).build(),
            &["is missing from the offline depot"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_bundle_fails_its_task_and_stores_nothing() {
    let c = Client::new(|_| {}).await;
    let cases: Vec<Case> = archive_cases()
        .into_iter()
        .chain(metadata_cases())
        .collect();
    assert_eq!(cases.len(), 18);
    for Case { what, zip, says } in cases {
        let error = c.failed(&push(&c.upload(&zip).await)).await;
        assert_eq!(error["error_type"], "INVALID_ARGUMENT", "{what}: {error}");
        let message = message_of(&error);
        assert!(
            says.iter().any(|s| message.contains(s)),
            "{what}: {message:?} says none of {says:?}"
        );
        c.nothing_imported().await;
        c.only_uploads_stored().await;
    }
    let r = c.send(Method::GET, OFFLINE, None).await;
    assert_eq!(r.body, json!({}), "{}", r.text);
}

/// The first message of a failed task's error.
fn message_of(error: &Value) -> &str {
    error["messages"][0]["default_message"]
        .as_str()
        .unwrap_or_default()
}
