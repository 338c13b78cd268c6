//! Replace (POST) decisions: higher applies, equal identical is idempotent, equal
//! different conflicts, lower is a rollback.

use depot_catalog::testkit::CatalogSpec;
use depot_catalog::{CatalogRevision, ReplaceDecision, decide_replace, parse_catalog};

fn revision(spec: &CatalogSpec) -> CatalogRevision {
    let bytes = spec.to_json();
    let catalog = parse_catalog(&bytes).expect("generated catalog is valid");
    CatalogRevision::of(&catalog, &bytes)
}

fn stored() -> CatalogRevision {
    revision(&CatalogSpec::new(10, 5))
}

#[test]
fn first_upload_applies() {
    assert_eq!(decide_replace(None, &stored()), Ok(ReplaceDecision::Apply));
}

#[test]
fn higher_sequence_applies() {
    let incoming = revision(&CatalogSpec::new(11, 5));
    assert_eq!(
        decide_replace(Some(&stored()), &incoming),
        Ok(ReplaceDecision::Apply)
    );
}

#[test]
fn equal_sequence_identical_bytes_is_idempotent() {
    let incoming = revision(&CatalogSpec::new(10, 5));
    assert_eq!(
        decide_replace(Some(&stored()), &incoming),
        Ok(ReplaceDecision::AlreadyStored)
    );
}

#[test]
fn equal_sequence_different_bytes_conflicts() {
    let incoming = revision(&CatalogSpec::new(10, 6));
    let err = decide_replace(Some(&stored()), &incoming).expect_err("conflict");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SEQUENCE_CONFLICT");
    assert_eq!(err.kind(), depot_model::ErrorKind::Conflict);
}

#[test]
fn lower_sequence_is_a_rollback() {
    let incoming = revision(&CatalogSpec::new(9, 5));
    let err = decide_replace(Some(&stored()), &incoming).expect_err("rollback");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_ROLLBACK");
    assert!(
        err.to_string()
            .contains("lower than the stored catalog's 10"),
        "{err}"
    );
}
