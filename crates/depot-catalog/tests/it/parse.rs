//! Parsing and validation: the seed parses; each bad field is named by its JSON path.

use depot_catalog::{CatalogError, parse_catalog};
use serde_json::{Value, json};

use crate::fixtures::{SEED, parse_error, seed_with};

const VCENTER_CHECKSUM: &str = "$.patches.VCENTER[0].artifacts.bundles[1].binaries[0].checksum";

fn binary(value: &mut Value) -> &mut Value {
    &mut value["patches"]["VCENTER"][0]["artifacts"]["bundles"][1]["binaries"][0]
}

/// Asserts `err` is about `path` with `code`.
fn assert_at(err: &CatalogError, code: &str, path: &str) {
    assert_eq!(err.code(), code, "{err}");
    let found = match err {
        CatalogError::InvalidField { path, .. }
        | CatalogError::MissingField { path }
        | CatalogError::DuplicateKey { path } => path.as_str(),
        other => panic!("no path in {other:?}"),
    };
    assert_eq!(found, path, "{err}");
}

fn invalid_at(bytes: &[u8], path: &str) {
    assert_at(
        &parse_error(bytes),
        "PRODUCT_VERSION_CATALOG_INVALID_FIELD",
        path,
    );
}

#[test]
fn seed_catalog_parses() {
    let catalog = parse_catalog(SEED).expect("seed is valid");
    assert_eq!(catalog.version(), 1);
    assert_eq!(catalog.sequence_number(), 1);
    assert_eq!(catalog.creation_time().as_str(), "2025-03-21T09:42:55.024Z");
    assert_eq!(catalog.patches().len(), 5);
    assert_eq!(catalog.patch_count(), 5);
    let patch = catalog
        .find("VCENTER", "9.0.0.0.123456")
        .expect("vCenter patch");
    assert_eq!(patch.description(), Some("Component description"));
    assert_eq!(patch.bundles().len(), 2);
    let bundle = &patch.bundles()[1];
    assert_eq!(bundle.bundle_type.as_str(), "INSTALL");
    assert_eq!(
        bundle.id.to_string(),
        "4297ea51-2f34-4dad-b212-1f1c66cfcf46"
    );
    let binary = &bundle.binaries[0];
    assert_eq!(binary.size, 722_649_127);
    assert_eq!(
        binary.file_name.as_str(),
        "VMware-Installer-9.0U1c-123456.x86_64.zip"
    );
    assert_eq!(
        binary.checksum.to_string(),
        "e049123f56f8b9fca34f33b6c066392fd338a25cc2806987751db8a1f5f1464b"
    );
}

#[test]
fn written_back_catalog_keeps_every_patch_byte_for_byte() {
    let catalog = parse_catalog(SEED).expect("seed is valid");
    let written = catalog.to_json();
    let again = parse_catalog(&written).expect("written catalog is valid");
    for (product_type, patches) in catalog.patches() {
        for (before, after) in patches.iter().zip(again.patches_of(product_type.as_str())) {
            assert!(before.same_json(after));
        }
    }
    let before: Value = serde_json::from_slice(SEED).expect("json");
    let after: Value = serde_json::from_slice(&written).expect("json");
    assert_eq!(before, after, "same JSON content");
}

#[test]
fn unknown_fields_are_kept() {
    let bytes = seed_with(|v| {
        binary(v)["signedExtra"] = json!({"x": [1, 2, 3]});
        v["patches"]["VCENTER"][0]["futureField"] = json!("kept");
        v["topLevelExtra"] = json!(true);
    });
    let catalog = parse_catalog(&bytes).expect("unknown fields are accepted");
    let written: Value = serde_json::from_slice(&catalog.to_json()).expect("json");
    assert_eq!(
        binary(&mut written.clone())["signedExtra"],
        json!({"x": [1, 2, 3]})
    );
    assert_eq!(
        written["patches"]["VCENTER"][0]["futureField"],
        json!("kept")
    );
    assert_eq!(written["topLevelExtra"], json!(true));
}

#[test]
fn bad_checksum_is_named() {
    for bad in [json!("xyz"), json!("3edbff64"), json!("g".repeat(64))] {
        invalid_at(
            &seed_with(|v| binary(v)["checksum"] = bad),
            VCENTER_CHECKSUM,
        );
    }
}

#[test]
fn negative_size_is_named() {
    let bytes = seed_with(|v| binary(v)["size"] = json!(-1));
    let path = VCENTER_CHECKSUM.replace("checksum", "size");
    invalid_at(&bytes, &path);
}

#[test]
fn size_over_i64_is_named() {
    let path = VCENTER_CHECKSUM.replace("checksum", "size");
    invalid_at(
        &seed_with(|v| binary(v)["size"] = json!(9_223_372_036_854_775_808_u64)),
        &path,
    );
    let text = String::from_utf8(seed_with(|v| binary(v)["size"] = json!(4242))).expect("utf-8");
    let text = text.replace("\"size\":4242}", "\"size\":18446744073709551616}");
    invalid_at(text.as_bytes(), &path);
    invalid_at(&seed_with(|v| binary(v)["size"] = json!(1.5)), &path);
}

#[test]
fn bad_timestamps_are_named() {
    invalid_at(
        &seed_with(|v| v["patches"]["VROPS"][0]["releaseDate"] = json!("yesterday")),
        "$.patches.VROPS[0].releaseDate",
    );
    invalid_at(
        &seed_with(|v| v["creationTime"] = json!("2025-03-21")),
        "$.creationTime",
    );
    invalid_at(
        &seed_with(|v| v["publishedTime"] = json!(1_742_550_175)),
        "$.publishedTime",
    );
}

#[test]
fn zone_less_timestamps_are_utc() {
    let bytes = seed_with(|v| v["creationTime"] = json!("2025-03-21T09:42:55.024"));
    let catalog = parse_catalog(&bytes).expect("zone-less accepted");
    assert_eq!(
        catalog.creation_time().instant().to_rfc3339(),
        "2025-03-21T09:42:55.024+00:00"
    );
}

#[test]
fn bad_bundle_id_is_named() {
    for bad in [
        "not-a-uuid",
        "0b7056c921ce4e6c98695121b7066973",
        "{0b7056c9-21ce-4e6c-9869-5121b7066973}",
    ] {
        let bytes = seed_with(|v| {
            v["patches"]["NSX_T_MANAGER"][0]["artifacts"]["bundles"][0]["id"] = json!(bad);
        });
        invalid_at(&bytes, "$.patches.NSX_T_MANAGER[0].artifacts.bundles[0].id");
    }
}

#[test]
fn empty_product_type_key_is_named() {
    let bytes = seed_with(|v| {
        let list = v["patches"]["VROPS"].clone();
        v["patches"][""] = list;
    });
    invalid_at(&bytes, r#"$.patches[""]"#);
}

#[test]
fn missing_required_fields_are_named() {
    // (reported path, JSON pointer of the object, key removed from it)
    let cases = [
        ("$.sequenceNumber", "", "sequenceNumber"),
        ("$.patches", "", "patches"),
        (
            "$.patches.VCENTER[0].productVersion",
            "/patches/VCENTER/0",
            "productVersion",
        ),
        (
            "$.patches.VCENTER[0].artifacts",
            "/patches/VCENTER/0",
            "artifacts",
        ),
        (
            "$.patches.VCENTER[0].artifacts.bundles[1].binaries[0].checksum",
            "/patches/VCENTER/0/artifacts/bundles/1/binaries/0",
            "checksum",
        ),
        (
            "$.patches.VCENTER[0].artifacts.bundles[1].type",
            "/patches/VCENTER/0/artifacts/bundles/1",
            "type",
        ),
    ];
    for (path, pointer, key) in cases {
        let bytes = seed_with(|v| {
            let object = v.pointer_mut(pointer).and_then(Value::as_object_mut);
            assert!(
                object.expect("object exists").remove(key).is_some(),
                "{key}"
            );
        });
        assert_at(
            &parse_error(&bytes),
            "PRODUCT_VERSION_CATALOG_MISSING_FIELD",
            path,
        );
    }
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    let bytes = seed_with(|v| {
        let patch = &mut v["patches"]["VCENTER"][0];
        patch["description"] = Value::Null;
        drop(patch.as_object_mut().map(|o| o.remove("releaseDate")));
        binary(v)["metadata"] = Value::Null;
    });
    let catalog = parse_catalog(&bytes).expect("optional fields");
    let patch = catalog.find("VCENTER", "9.0.0.0.123456").expect("patch");
    assert_eq!((patch.description(), patch.release_date()), (None, None));
}

#[test]
fn wrong_types_are_named() {
    invalid_at(
        &seed_with(|v| binary(v)["size"] = json!("722649127")),
        &VCENTER_CHECKSUM.replace("checksum", "size"),
    );
    invalid_at(&seed_with(|v| v["patches"] = json!([])), "$.patches");
    invalid_at(
        &seed_with(|v| v["patches"]["VROPS"] = json!({})),
        "$.patches.VROPS",
    );
    invalid_at(
        &seed_with(|v| v["patches"]["VROPS"][0]["artifacts"]["bundles"] = json!({})),
        "$.patches.VROPS[0].artifacts.bundles",
    );
    invalid_at(&seed_with(|v| v["version"] = json!("1")), "$.version");
    invalid_at(
        &seed_with(|v| v["sequenceNumber"] = json!(-3)),
        "$.sequenceNumber",
    );
    invalid_at(
        &seed_with(|v| v["patches"]["VROPS"][0]["productVersion"] = Value::Null),
        "$.patches.VROPS[0].productVersion",
    );
    invalid_at(
        &seed_with(|v| binary(v)["fileName"] = json!("../../etc/passwd")),
        &VCENTER_CHECKSUM.replace("checksum", "fileName"),
    );
}

#[test]
fn invalid_json_has_line_and_column() {
    let mut text = String::from_utf8(SEED.to_vec()).expect("utf-8");
    text = text.replacen("\"sequenceNumber\" : 1,", "\"sequenceNumber\" : 1,,", 1);
    let err = parse_error(text.as_bytes());
    assert!(
        matches!(
            err,
            CatalogError::InvalidJson {
                line: 3,
                column: 24,
                ..
            }
        ),
        "{err:?}"
    );
    let err = parse_error(&SEED[..SEED.len() / 2]);
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_INVALID_JSON");
    assert!(err.to_string().contains("EOF"), "{err}");
}

#[test]
fn self_conflicting_file_names_both_entries() {
    let bytes = seed_with(|v| {
        let patch = v["patches"]["VCENTER"][0].clone();
        if let Some(list) = v["patches"]["VCENTER"].as_array_mut() {
            list.push(json!({"productVersion": "9.0.0.1", "artifacts": {"bundles": []}}));
            list.push(patch);
        }
    });
    let err = parse_error(&bytes);
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_DUPLICATE_PRODUCT_VERSION"
    );
    let CatalogError::DuplicateProductVersion {
        product_version,
        first,
        second,
    } = err
    else {
        panic!("unexpected error");
    };
    assert_eq!(product_version, "9.0.0.0.123456");
    assert_eq!(first.as_str(), "$.patches.VCENTER[0].productVersion");
    assert_eq!(second.as_str(), "$.patches.VCENTER[2].productVersion");
}

#[test]
fn same_version_under_different_product_types_is_fine() {
    // The seed itself lists 9.0.0.0.123456 under every product type.
    assert!(parse_catalog(SEED).is_ok());
}
