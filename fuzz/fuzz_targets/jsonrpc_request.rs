//! Fuzzes the vAPI JSON-RPC request parser and typed-value decoder: any bytes must
//! give an id and either a decoded request or a vAPI error, never a panic; a decoded
//! input must re-check as canonical and re-encode.
#![no_main]

use std::sync::LazyLock;

use depot_api_vsphere::Registry;
use depot_api_vsphere::vapi::codec::{check, encode};
use depot_api_vsphere::vapi::jsonrpc::parse;
use depot_api_vsphere::vapi::types::Type;
use depot_http::Services;
use libfuzzer_sys::fuzz_target;

/// The built-in operations; their handlers never run here, so the state is the bare
/// services.
static REGISTRY: LazyLock<Registry<Services>> =
    LazyLock::new(|| depot_api_vsphere::registry(Vec::new()));

fuzz_target!(|data: &[u8]| {
    let (id, parsed) = parse(&REGISTRY, data);
    assert!(id.is_null() || id.is_string() || id.is_number());
    if let Ok(request) = parsed {
        let input = serde_json::Value::Object(request.input);
        let ty = Type::Struct(request.op.input);
        let canonical = check(&input, &ty, "operation-input").expect("decoded input is canonical");
        let typed = encode(&canonical, &ty, &|_, _| None);
        assert!(typed.get("STRUCTURE").is_some());
    }
});
