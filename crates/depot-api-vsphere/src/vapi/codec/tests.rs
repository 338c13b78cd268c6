//! Codec round trips and refusals.

use serde_json::json;

use std::collections::BTreeMap;

use super::*;
use crate::ops::tasks::FilterSpec;
use crate::vapi::typed::{Binary, SecretString, VapiStruct, VapiType};
use crate::wire::task::Info;

crate::vapi_struct! {
    #[vapi("test.nested")]
    struct Nested {
        name: String,
        size: Option<i64>,
        tags: BTreeMap<String, String>,
        secret: Option<SecretString>,
        blob: Option<Binary>,
    }
}

const NESTED: &StructType = Nested::STRUCT;
const FILTER_SPEC: &StructType = FilterSpec::STRUCT;
const TASK_INFO: &StructType = Info::STRUCT;

fn no_results(_: &str, _: &str) -> Option<&'static Type> {
    None
}

#[test]
fn structures_round_trip() {
    let canonical =
        json!({"name": "a", "size": 3, "tags": {"k": "v"}, "secret": "s3", "blob": "AAEC"});
    let typed = encode(&canonical, &Type::Struct(NESTED), &no_results);
    assert_eq!(
        typed,
        json!({"STRUCTURE": {"test.nested": {
            "name": "a", "size": {"OPTIONAL": 3},
            "tags": [{"STRUCTURE": {"map-entry": {"key": "k", "value": "v"}}}],
            "secret": {"OPTIONAL": {"SECRET": "s3"}}, "blob": {"OPTIONAL": {"BINARY": "AAEC"}}}}})
    );
    assert_eq!(
        decode(&typed, &Type::Struct(NESTED), "x").unwrap(),
        canonical
    );
}

#[test]
fn optionals_tolerate_missing_wrappers_and_fields() {
    let typed = json!({"STRUCTURE": {"test.nested": {"name": "a", "size": 3, "tags": []}}});
    assert_eq!(
        decode(&typed, &Type::Struct(NESTED), "x").unwrap(),
        json!({"name": "a", "size": 3, "tags": {}})
    );
}

#[test]
fn decode_errors_name_the_path() {
    let wrong_id = json!({"STRUCTURE": {"test.other": {}}});
    let e = decode(&wrong_id, &Type::Struct(NESTED), "input").unwrap_err();
    assert!(e.message.contains("test.nested"), "{e}");
    let bad =
        json!({"STRUCTURE": {"test.nested": {"name": "a", "size": {"OPTIONAL": "3"}, "tags": []}}});
    assert_eq!(
        decode(&bad, &Type::Struct(NESTED), "input")
            .unwrap_err()
            .path,
        "input.size"
    );
    let missing = json!({"STRUCTURE": {"test.nested": {"tags": []}}});
    assert_eq!(
        decode(&missing, &Type::Struct(NESTED), "input")
            .unwrap_err()
            .path,
        "input.name"
    );
    let bad_enum = json!({"STRUCTURE": {"com.vmware.cis.tasks.filter_spec": {"status": {"OPTIONAL": ["DONE"]}}}});
    let e = decode(&bad_enum, &Type::Struct(FILTER_SPEC), "f").unwrap_err();
    assert_eq!(e.path, "f.status[0]");
    let bad_blob =
        json!({"STRUCTURE": {"test.nested": {"name": "a", "tags": [], "blob": {"BINARY": "!!"}}}});
    assert!(decode(&bad_blob, &Type::Struct(NESTED), "x").is_err());
}

#[test]
fn errors_encode_as_std_errors() {
    let body = json!({"error_type": "NOT_FOUND", "messages": [{"id": "m", "default_message": "gone", "args": ["1"]}], "data": null});
    let typed = encode_error(&body);
    let e = &typed["ERROR"]["com.vmware.vapi.std.errors.not_found"];
    assert_eq!(e["error_type"], json!({"OPTIONAL": "NOT_FOUND"}));
    assert_eq!(
        e["messages"][0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["args"],
        json!(["1"])
    );
    assert_eq!(e["data"], json!({"OPTIONAL": null}));
}

#[test]
fn task_results_take_the_type_of_their_operation() {
    crate::vapi_struct! {
        #[vapi("test.create_result")]
        struct CreateResult {
            depot: String,
        }
    }
    let result_type = CreateResult::TYPE;
    let info = json!({"service": "svc", "operation": "create", "status": "SUCCEEDED", "cancelable": false,
        "description": {"id": "d", "default_message": "d", "args": []}, "result": {"depot": "d-1"}});
    let typed = encode(&info, &Type::Struct(TASK_INFO), &|s, o| {
        (s == "svc" && o == "create").then_some(result_type)
    });
    assert_eq!(
        typed["STRUCTURE"]["com.vmware.cis.task.info"]["result"],
        json!({"OPTIONAL": {"STRUCTURE": {"test.create_result": {"depot": "d-1"}}}})
    );
    let untyped = encode(&info, &Type::Struct(TASK_INFO), &no_results);
    assert!(
        untyped["STRUCTURE"]["com.vmware.cis.task.info"]["result"]["OPTIONAL"]["STRUCTURE"]
            .is_object()
    );
}

#[test]
fn check_refuses_unknown_fields_and_wrong_types() {
    assert!(
        check(
            &json!({"name": "a", "tags": {}, "nmae": 1}),
            &Type::Struct(NESTED),
            "b"
        )
        .is_err()
    );
    assert!(check(&json!({"name": 1, "tags": {}}), &Type::Struct(NESTED), "b").is_err());
    assert_eq!(
        check(
            &json!({"name": "a", "tags": {}, "size": null}),
            &Type::Struct(NESTED),
            "b"
        )
        .unwrap(),
        json!({"name": "a", "tags": {}})
    );
}

#[test]
fn deep_nesting_is_refused() {
    static DEEP: Type = Type::List(&Type::List(&Type::String));
    let mut v = json!("x");
    for _ in 0..200 {
        v = json!([v]);
    }
    assert!(decode(&v, &DEEP, "x").is_err());
}
