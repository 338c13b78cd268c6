//! Merge (PATCH) rules: add, replace from a higher sequence number, skip at an equal one,
//! refuse a lower one.

use depot_catalog::testkit::CatalogSpec;
use depot_catalog::{EntryRef, ProductVersionCatalog, merge_into, parse_catalog};

fn catalog(spec: &CatalogSpec) -> ProductVersionCatalog {
    parse_catalog(&spec.to_json()).expect("generated catalog is valid")
}

fn entries(spec: &CatalogSpec, indexes: std::ops::Range<usize>) -> Vec<EntryRef> {
    indexes
        .map(|i| {
            let (product_type, version) = spec.entry(i);
            EntryRef {
                product_type: product_type.parse().expect("product type"),
                product_version: version.parse().expect("version"),
            }
        })
        .collect()
}

/// `list` sorted (reports follow product-type order, specs follow build order).
fn sorted(mut list: Vec<EntryRef>) -> Vec<EntryRef> {
    list.sort();
    list
}

fn base() -> CatalogSpec {
    CatalogSpec::new(5, 10)
}

#[test]
fn new_versions_are_added_and_sequence_moves_up() {
    let mut stored = catalog(&base());
    let patch_file = CatalogSpec {
        first_build: 900_000,
        ..CatalogSpec::new(6, 4)
    };
    let report = merge_into(&mut stored, catalog(&patch_file)).expect("merge");
    assert_eq!(sorted(report.added), sorted(entries(&patch_file, 0..4)));
    assert!(report.replaced.is_empty() && report.skipped.is_empty() && report.unchanged.is_empty());
    assert_eq!(
        (report.previous_sequence_number, report.sequence_number),
        (5, 6)
    );
    assert_eq!(stored.sequence_number(), 6);
    assert_eq!(stored.patch_count(), 14);
    let reparsed = parse_catalog(&stored.to_json()).expect("merged catalog is valid");
    assert_eq!(reparsed.patch_count(), 14);
}

#[test]
fn higher_sequence_replaces_changed_versions() {
    let mut stored = catalog(&base());
    let patch_file = CatalogSpec {
        salt: 1,
        ..CatalogSpec::new(6, 3)
    };
    let incoming = catalog(&patch_file);
    let report = merge_into(&mut stored, incoming.clone()).expect("merge");
    assert_eq!(sorted(report.replaced), sorted(entries(&patch_file, 0..3)));
    assert!(report.added.is_empty());
    let (product_type, version) = patch_file.entry(0);
    let merged = stored.find(product_type, &version).expect("entry");
    let expected = incoming.find(product_type, &version).expect("entry");
    assert!(merged.same_json(expected));
    assert_eq!(stored.patch_count(), 10);
}

#[test]
fn equal_sequence_skips_changed_versions_but_adds_new_ones() {
    let mut stored = catalog(&base());
    let before = String::from_utf8(stored.to_json()).expect("utf-8");
    let patch_file = CatalogSpec {
        salt: 1,
        first_build: base().first_build + 8,
        ..CatalogSpec::new(5, 4)
    };
    let report = merge_into(&mut stored, catalog(&patch_file)).expect("merge");
    assert_eq!(sorted(report.skipped), sorted(entries(&patch_file, 0..2)));
    assert_eq!(sorted(report.added), sorted(entries(&patch_file, 2..4)));
    assert_eq!(report.sequence_number, 5);
    let (product_type, version) = patch_file.entry(0);
    let kept = stored.find(product_type, &version).expect("entry");
    assert!(
        before.contains(kept.raw_json()),
        "the stored entry was left alone"
    );
}

#[test]
fn identical_entries_are_unchanged() {
    let mut stored = catalog(&base());
    let report = merge_into(&mut stored, catalog(&CatalogSpec::new(7, 3))).expect("merge");
    assert_eq!(report.unchanged.len(), 3);
    assert!(report.added.is_empty() && report.replaced.is_empty());
    assert!(report.changed(), "the sequence number still moved up");
}

#[test]
fn lower_sequence_is_refused_and_nothing_changes() {
    let mut stored = catalog(&base());
    let before = stored.to_json();
    let patch_file = CatalogSpec {
        first_build: 900_000,
        ..CatalogSpec::new(4, 2)
    };
    let err = merge_into(&mut stored, catalog(&patch_file)).expect_err("rollback");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_ROLLBACK");
    assert_eq!(stored.to_json(), before);
}

#[test]
fn self_conflicting_patch_file_is_refused_before_merging() {
    let text = String::from_utf8(CatalogSpec::new(6, 6).to_json()).expect("utf-8");
    // Patches 0 and 5 are both VCENTER; give them the same version.
    let (_, fifth) = CatalogSpec::new(6, 6).entry(5);
    let (_, zeroth) = CatalogSpec::new(6, 6).entry(0);
    let text = text.replace(&format!("\"{fifth}\""), &format!("\"{zeroth}\""));
    let err = parse_catalog(text.as_bytes()).expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        format!(
            "productVersion \"{zeroth}\" appears twice: at $.patches.VCENTER[0].productVersion \
             and at $.patches.VCENTER[1].productVersion"
        )
    );
}
