//! A 10 MB catalog of 10,000 patches parses, merges and is written back quickly.
//!
//! The time limits are checked in release builds only
//! (`cargo test -p depot-catalog --release performance`); debug builds just run the code.

use std::time::{Duration, Instant};

use depot_catalog::testkit::CatalogSpec;
use depot_catalog::{merge_into, parse_catalog};

fn check(what: &str, elapsed: Duration, limit: Duration) {
    eprintln!("{what}: {elapsed:?}");
    if !cfg!(debug_assertions) {
        assert!(elapsed < limit, "{what} took {elapsed:?}, limit {limit:?}");
    }
}

#[test]
fn ten_thousand_patches() {
    let bytes = CatalogSpec::new(1, 10_000).to_json();
    assert!(bytes.len() > 9_000_000, "about 10 MB: {}", bytes.len());

    let start = Instant::now();
    let mut catalog = parse_catalog(&bytes).expect("valid");
    check("parse 10 MB", start.elapsed(), Duration::from_millis(500));
    assert_eq!(catalog.patch_count(), 10_000);

    let patch_file = CatalogSpec {
        first_build: 10_000_000,
        ..CatalogSpec::new(2, 100)
    }
    .to_json();
    let start = Instant::now();
    let incoming = parse_catalog(&patch_file).expect("valid");
    let report = merge_into(&mut catalog, incoming).expect("merge");
    check("merge 100", start.elapsed(), Duration::from_millis(50));
    assert_eq!(report.added.len(), 100);

    let start = Instant::now();
    let written = catalog.to_json();
    check("write back", start.elapsed(), Duration::from_millis(200));
    assert_eq!(
        parse_catalog(&written).expect("valid").patch_count(),
        10_100
    );
}
