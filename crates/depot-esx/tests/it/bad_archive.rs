//! Archives that must be refused before any metadata is believed: not a zip, truncated,
//! lying directories, zip bombs, escaping or duplicate names, symlinks. Each is imported
//! into a real store, which must stay empty.

use depot_esx::fixture::BundleBuilder;
use depot_esx::{EsxError, Limits};

use crate::support::{central_header, patch, refused, refused_with};

fn small() -> BundleBuilder {
    BundleBuilder::new(64 * 1024)
}

#[tokio::test]
async fn not_a_zip() {
    let error = refused(b"this is not a zip archive at all").await;
    assert!(matches!(error, EsxError::NotAZip { .. }), "{error}");
}

#[tokio::test]
async fn a_truncated_zip() {
    let bundle = small().build();
    let error = refused(&bundle[..bundle.len() / 2]).await;
    assert!(matches!(error, EsxError::NotAZip { .. }), "{error}");
    let error = refused(&bundle[..bundle.len() - 10]).await;
    assert!(matches!(error, EsxError::NotAZip { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_understates_a_payload() {
    let builder = small().deflate_payloads();
    let path = builder.payload_path("foo-driver").unwrap();
    // The uncompressed size says 1000 bytes where there are 64 KiB.
    let bundle = builder.declare_entry_size(&path, 1000).build();
    let error = refused(&bundle).await;
    // Whichever notices first: the zip reader's own size check, or ours.
    assert!(
        matches!(&error, EsxError::SizeMismatch { name, declared: 1000, .. } | EsxError::Entry { entry: name, .. } if *name == path),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_overstates_a_document() {
    let mut bundle = small().build();
    let at = central_header(&bundle, "index.xml");
    let declared = u32::from_le_bytes(bundle[at + 24..at + 28].try_into().unwrap());
    bundle[at + 24..at + 28].copy_from_slice(&(declared + 10).to_le_bytes());
    let error = refused(&bundle).await;
    assert!(
        matches!(&error, EsxError::SizeMismatch { name, .. } if name == "index.xml"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_pointing_past_the_file() {
    let mut bundle = small().build();
    let at = central_header(&bundle, "index.xml");
    bundle[at + 20..at + 24].copy_from_slice(&u32::MAX.to_le_bytes());
    let error = refused(&bundle).await;
    assert!(
        matches!(
            error,
            EsxError::Entry { .. } | EsxError::NotAZip { .. } | EsxError::OverlappingEntries { .. }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_by_ratio() {
    let bundle = small().with_entry("bomb.bin", vec![0u8; 64 << 20]).build();
    let error = refused(&bundle).await;
    assert!(
        matches!(&error, EsxError::CompressionRatio { name, limit: 100, .. } if name == "bomb.bin"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_inside_the_metadata_zip() {
    let bundle = small()
        .with_metadata_entry("notes.bin", vec![0u8; 64 << 20])
        .build();
    let error = refused(&bundle).await;
    assert!(
        matches!(&error, EsxError::CompressionRatio { name, .. } if name == "notes.bin"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_over_the_absolute_limits() {
    let limits = Limits {
        max_entry_size: 32 * 1024,
        ..Limits::default()
    };
    let error = refused_with(&small().build(), limits).await;
    assert!(
        matches!(error, EsxError::TooLarge { limit: 32768, .. }),
        "{error}"
    );
    let limits = Limits {
        max_total_size: 256 * 1024,
        ..Limits::default()
    };
    let error = refused_with(&small().build(), limits).await;
    assert!(matches!(error, EsxError::TotalTooLarge { .. }), "{error}");
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    let error = refused_with(&small().build(), limits).await;
    assert!(
        matches!(error, EsxError::TooManyEntries { limit: 5, .. }),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escaping_entry_names() {
    for name in [
        "../evil.txt",
        "vib20/../../evil.txt",
        "/etc/evil.txt",
        "vib20\\evil.txt",
        "C:/evil.txt",
    ] {
        let error = refused(&small().with_entry(name, "x").build()).await;
        assert!(
            matches!(&error, EsxError::UnsafeName { name: n, .. } if n == name),
            "{name}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_entries() {
    let mut bundle = small()
        .with_entry("dup-a.txt", "a")
        .with_entry("dup-b.txt", "b")
        .build();
    assert_eq!(patch(&mut bundle, b"dup-b.txt", b"dup-a.txt"), 2);
    let error = refused(&bundle).await;
    assert!(matches!(error, EsxError::DuplicateEntry { .. }), "{error}");
    // A second index.xml, which a reader taking the last one would believe.
    let bundle = small()
        .with_duplicate_entry("index.xml", "<vendorList/>")
        .build();
    let error = refused(&bundle).await;
    assert!(matches!(error, EsxError::DuplicateEntry { .. }), "{error}");
}

/// The builder's directory lies are really in the bytes: two `index.xml` entries in
/// the central directory, no stand-in name left, a central size other than the true
/// one; and `write_to` refuses them.
#[test]
fn the_builders_directory_lies_are_in_the_bytes() {
    let zip = small()
        .with_duplicate_entry("index.xml", "<vendorList/>")
        .build();
    let names = central_names(&zip);
    assert_eq!(names.iter().filter(|n| *n == "index.xml").count(), 2);
    assert!(!names.iter().any(|n| n.starts_with('~')), "{names:?}");

    let zip = small().declare_entry_size("index.xml", 50_000).build();
    let at = central_header(&zip, "index.xml");
    assert_eq!(zip[at + 24..at + 28], 50_000u32.to_le_bytes());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.by_name("index.xml").unwrap().size(), 50_000);

    let error = small()
        .declare_entry_size("index.xml", 1)
        .write_to(std::io::Cursor::new(Vec::new()))
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::Unsupported);
}

/// The entry names of the central directory, in order, duplicates kept.
fn central_names(zip: &[u8]) -> Vec<String> {
    (0..zip.len() - 46)
        .filter(|&i| zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02])
        .map(|i| {
            let len = usize::from(u16::from_le_bytes([zip[i + 28], zip[i + 29]]));
            String::from_utf8_lossy(&zip[i + 46..i + 46 + len]).into_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlink_entries() {
    let bundle = small()
        .with_symlink("vib20/link.vib", "/etc/shadow")
        .build();
    let error = refused(&bundle).await;
    assert!(
        matches!(&error, EsxError::Symlink { name } if name == "vib20/link.vib"),
        "{error}"
    );
}
