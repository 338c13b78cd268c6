//! `com.vmware.vcenter.datastore`: the depot's blob store as the one datastore, over
//! `/api` REST and JSON-RPC.

use axum::http::{Method, StatusCode};
use depot_model::Role;
use serde_json::{Value, json};

use crate::jsonrpc::{error_name, request, rpc, session};
use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

const ID: &str = "datastore-depot";
const SERVICE: &str = "com.vmware.vcenter.datastore";

async fn get(t: &TestApp, uri: &str, session: &str) -> Reply {
    t.send(
        Method::GET,
        uri,
        &[("vmware-api-session-id", session)],
        None,
    )
    .await
}

/// An app on the data dir's blob store whatever the run's backend: these tests look at
/// the file system's size and remove the blob directory (an object store has neither,
/// see `an_object_store_has_no_capacity`).
async fn fs_app() -> TestApp {
    TestApp::with(|c| c.blob_store = None, Vec::new()).await
}

/// Total bytes of the file system holding `path`, by `stat -f`.
fn file_system_size(path: &std::path::Path) -> u64 {
    let out = std::process::Command::new("stat")
        .args(["-f", "--format=%S %b"])
        .arg(path)
        .output()
        .expect("stat -f");
    let text = String::from_utf8(out.stdout).unwrap();
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    n[0] * n[1]
}

#[tokio::test]
async fn list_and_get_show_the_blob_store() {
    let t = fs_app().await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = get(&t, "/api/vcenter/datastore", &s).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().unwrap_or_else(|| panic!("{}", r.text));
    assert_eq!(list.len(), 1, "{}", r.text);
    let summary = &list[0];
    assert_eq!(summary["datastore"], ID);
    assert_eq!(summary["name"], "depot-blobs");
    assert_eq!(summary["type"], "OTHER");
    let capacity = summary["capacity"].as_u64().unwrap();
    let free = summary["free_space"].as_u64().unwrap();
    assert!(capacity >= free && free > 0, "{}", r.text);
    assert_eq!(capacity, file_system_size(&t.app.config.data_dir));

    let r = get(&t, &format!("/api/vcenter/datastore/{ID}"), &s).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "depot-blobs", "{}", r.text);
    assert_eq!(r.body["type"], "OTHER");
    assert_eq!(r.body["accessible"], true);
    assert_eq!(r.body["multiple_host_access"], false);
    assert_eq!(r.body["thin_provisioning_supported"], false);
    let free = r.body["free_space"].as_u64().unwrap();
    assert!(free > 0 && free <= capacity, "{}", r.text);
}

#[tokio::test]
async fn a_blob_store_that_cannot_be_read_is_not_accessible() {
    let t = fs_app().await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    std::fs::remove_dir_all(t.app.config.data_dir.join("blobs")).unwrap();
    let r = get(&t, &format!("/api/vcenter/datastore/{ID}"), &s).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["accessible"], false, "{}", r.text);
    assert!(r.body["free_space"].is_null(), "{}", r.text);
    let r = get(&t, "/api/vcenter/datastore", &s).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["datastore"], ID, "{}", r.text);
    assert!(r.body[0]["capacity"].is_null(), "{}", r.text);
}

#[tokio::test]
async fn an_object_store_has_no_capacity() {
    if crate::support::s3_test_server().is_none() {
        return;
    }
    let t = TestApp::with(crate::support::use_s3, Vec::new()).await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = get(&t, &format!("/api/vcenter/datastore/{ID}"), &s).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["accessible"], true, "{}", r.text);
    assert!(r.body["free_space"].is_null(), "{}", r.text);
    let r = get(&t, "/api/vcenter/datastore", &s).await;
    assert_eq!(r.body[0]["datastore"], ID, "{}", r.text);
    assert!(r.body[0]["capacity"].is_null(), "{}", r.text);
}

#[tokio::test]
async fn list_honours_the_filter() {
    let t = TestApp::new().await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    for (query, found) in [
        ("names=depot-blobs", 1),
        ("names=x&names=depot-blobs", 1),
        ("filter.names=depot-blobs", 1),
        ("names=datastore1", 0),
        ("datastores=datastore-depot", 1),
        ("datastores=datastore-12", 0),
        ("types=OTHER", 1),
        ("types=VMFS&types=NFS41", 0),
        ("folders=group-s5", 0),
        ("datacenters=datacenter-3", 0),
        ("names=depot-blobs&types=VSAN", 0),
    ] {
        let r = get(&t, &format!("/api/vcenter/datastore?{query}"), &s).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(
            r.body.as_array().unwrap().len(),
            found,
            "{query}: {}",
            r.text
        );
    }
    let r = get(&t, "/api/vcenter/datastore?types=LOCAL", &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn unknown_ids_and_callers_are_refused() {
    let t = TestApp::new().await;
    let s = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = get(&t, "/api/vcenter/datastore/datastore-12", &s).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.body["error_type"], "NOT_FOUND");
    assert_eq!(r.body["messages"][0]["args"], json!(["datastore-12"]));
    for uri in [
        "/api/vcenter/datastore",
        "/api/vcenter/datastore/datastore-depot",
    ] {
        let r = t.send(Method::GET, uri, &[], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}: {}", r.text);
        assert_eq!(r.body["error_type"], "UNAUTHENTICATED");
        let r = get(&t, uri, "bogus").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}: {}", r.text);
    }
    // Reading needs System.Read, which every role has.
    t.add_user("reader@corp.example", Role::ReadOnly, "reader-pass")
        .await;
    let reader = t
        .vsphere_session("reader@corp.example", "reader-pass")
        .await;
    let r = get(&t, "/api/vcenter/datastore", &reader).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn list_input(filter: &Value) -> Value {
    json!({"STRUCTURE": {"operation-input": {"filter": {"OPTIONAL": filter}}}})
}

fn get_input(id: &str) -> Value {
    json!({"STRUCTURE": {"operation-input": {"datastore": id}}})
}

#[tokio::test]
async fn json_rpc_list_and_get_are_typed() {
    let t = fs_app().await;
    let s = crate::jsonrpc::login(&t).await;
    let r = rpc(
        &t,
        &request("1", SERVICE, "list", list_input(&Value::Null), session(&s)),
    )
    .await;
    let list = r["result"]["output"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(list.len(), 1, "{r}");
    let summary = &list[0]["STRUCTURE"]["com.vmware.vcenter.datastore.summary"];
    assert_eq!(summary["datastore"], ID, "{r}");
    assert_eq!(summary["type"], "OTHER");
    let capacity = summary["capacity"]["OPTIONAL"].as_u64().unwrap();
    let free = summary["free_space"]["OPTIONAL"].as_u64().unwrap();
    assert!(capacity >= free && free > 0, "{r}");

    let vmfs = json!({"STRUCTURE": {"com.vmware.vcenter.datastore.filter_spec": {
        "types": {"OPTIONAL": ["VMFS"]}}}});
    let r = rpc(
        &t,
        &request("2", SERVICE, "list", list_input(&vmfs), session(&s)),
    )
    .await;
    assert_eq!(r["result"]["output"], json!([]), "{r}");

    let r = rpc(
        &t,
        &request("3", SERVICE, "get", get_input(ID), session(&s)),
    )
    .await;
    let info = &r["result"]["output"]["STRUCTURE"]["com.vmware.vcenter.datastore.info"];
    assert_eq!(info["name"], "depot-blobs", "{r}");
    assert_eq!(info["accessible"], true);
    assert!(info["free_space"]["OPTIONAL"].as_u64().unwrap() > 0, "{r}");

    let r = rpc(
        &t,
        &request("4", SERVICE, "get", get_input("datastore-9"), session(&s)),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.not_found");
    let r = rpc(
        &t,
        &request(
            "5",
            SERVICE,
            "list",
            list_input(&Value::Null),
            session("bogus"),
        ),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthenticated");
}
