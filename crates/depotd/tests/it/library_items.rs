//! Library items over `/api` REST and JSON-RPC: list, get, find, create, update,
//! delete, copy and publish, their files and storage.

use axum::http::{Method, StatusCode};
use depot_blobs::Expected;
use depot_model::{
    FileTransfer, ItemId, Role, SessionFile, Sha256Digest, SourceType, StoredBlob, TransferStatus,
    UpdateSession,
};
use serde_json::{Value, json};

use crate::content_libraries::{
    READER, READER_PASSWORD, app, call, create, failed, rpc, rpc_error, subscribed,
};
use crate::support::{ADMIN, TestApp};

const ITEMS: &str = "/api/content/library/item";

async fn new_item(t: &TestApp, s: &str, spec: Value) -> String {
    let r = call(t, s, Method::POST, ITEMS, Some(spec), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body.as_str().unwrap().to_owned()
}

async fn get(t: &TestApp, s: &str, id: &str) -> Value {
    let r = call(t, s, Method::GET, &format!("{ITEMS}/{id}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Gives item `id` the files `files` (name, content) as an upload would: blobs in the
/// store, committed through a completed update session.
async fn fill(t: &TestApp, id: &str, files: &[(&str, &[u8])]) {
    let store = t.app.library.store();
    let item: ItemId = id.parse().unwrap();
    let now = depot_model::now();
    let session = UpdateSession::new(item, ADMIN, now, now + chrono::Duration::minutes(5));
    store.insert_update_session(&session, None).await.unwrap();
    for (name, content) in files {
        let mut reader: &[u8] = content;
        let blob = t
            .app
            .library
            .blobs()
            .put(&mut reader, Expected::default())
            .await
            .unwrap();
        let file = SessionFile {
            session_id: session.id,
            name: (*name).to_owned(),
            source_type: SourceType::Push,
            declared_size: None,
            declared_checksum: None,
            pull_endpoint: None,
            upload_token: format!("test-{}", ItemId::new()),
            transfer: FileTransfer {
                status: TransferStatus::Ready,
                bytes_transferred: blob.size,
                stored: Some(StoredBlob {
                    digest: blob.digest,
                    size: blob.size,
                }),
                error_message: None,
            },
        };
        store.add_session_file(&file).await.unwrap();
    }
    store
        .complete_update_session(session.id, now)
        .await
        .unwrap();
}

#[tokio::test]
async fn items_are_created_read_listed_updated_and_deleted() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let id = new_item(
        &t,
        &s,
        json!({"library_id": lib, "name": "esx.iso", "type": "iso", "description": "d"}),
    )
    .await;
    let item = get(&t, &s, &id).await;
    assert_eq!(item["library_id"], lib.as_str());
    assert_eq!(item["name"], "esx.iso");
    assert_eq!(item["type"], "iso");
    assert_eq!(item["size"], 0);
    assert_eq!(item["cached"], true);
    let versions = |v: &Value| {
        (
            v["version"].clone(),
            v["content_version"].clone(),
            v["metadata_version"].clone(),
        )
    };
    assert_eq!(versions(&item), (json!("1"), json!("1"), json!("1")));

    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}?library_id={lib}"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.body, json!([id]), "{}", r.text);
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{ITEMS}/{id}"),
        Some(json!({"description": "d2"})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let item = get(&t, &s, &id).await;
    assert_eq!(
        (item["description"].as_str(), item["name"].as_str()),
        (Some("d2"), Some("esx.iso"))
    );
    assert_eq!(versions(&item), (json!("2"), json!("1"), json!("2")));

    fill(&t, &id, &[("esx.iso", b"iso bytes")]).await;
    let item = get(&t, &s, &id).await;
    assert_eq!(item["size"], 9);
    assert_eq!(item["content_version"], "2", "content changed");
    assert_eq!(item["metadata_version"], "2", "metadata did not");

    let r = call(&t, &s, Method::DELETE, &format!("{ITEMS}/{id}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(&t, &s, Method::GET, &format!("{ITEMS}/{id}"), None, &[]).await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}?library_id={lib}"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.body, json!([]));
}

#[tokio::test]
async fn files_and_storage_show_sizes_checksums_and_blob_uris() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib", "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-depot"}]})).await;
    let id = new_item(
        &t,
        &s,
        json!({"library_id": lib, "name": "vm", "type": "ovf"}),
    )
    .await;
    fill(
        &t,
        &id,
        &[("vm.ovf", b"<Envelope/>"), ("disk1.vmdk", b"disk")],
    )
    .await;
    let ovf = Sha256Digest::compute(b"<Envelope/>").to_string();

    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/{id}/file"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["disk1.vmdk", "vm.ovf"]);
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/{id}/file?name=vm.ovf"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"name": "vm.ovf", "size": 11, "cached": true, "version": "2",
        "checksum_info": {"algorithm": "SHA256", "checksum": ovf}})
    );
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/{id}/file?name=nope"),
        None,
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
    assert_eq!(get(&t, &s, &id).await["size"], 15);

    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/{id}/storage?file_name=vm.ovf"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body[0]["storage_backing"],
        json!({"type": "DATASTORE", "datastore_id": "datastore-depot"})
    );
    assert_eq!(
        r.body[0]["storage_uris"],
        json!([format!("depotd:blobs/sha256/{ovf}")])
    );
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/{id}/storage"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.body.as_array().unwrap().len(), 2, "{}", r.text);
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}/9b2c4d1e-0000-4000-8000-00000000abcd/file"),
        None,
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
}

#[tokio::test]
async fn copies_hold_the_same_blobs_under_their_own_references() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let other = create(&t, &s, json!({"name": "other"})).await;
    let id = new_item(
        &t,
        &s,
        json!({"library_id": lib, "name": "vm", "type": "ovf", "description": "src"}),
    )
    .await;
    fill(&t, &id, &[("vm.ovf", b"<Envelope/>")]).await;
    let uri = format!("{ITEMS}/{id}?action=copy");
    let token = [("Client-Token", "copy-token-1")];
    let r = call(
        &t,
        &s,
        Method::POST,
        &uri,
        Some(json!({"library_id": other})),
        &token,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let copy = r.body.as_str().unwrap().to_owned();
    let again = call(
        &t,
        &s,
        Method::POST,
        &uri,
        Some(json!({"library_id": other})),
        &token,
    )
    .await;
    assert_eq!(again.body, r.body, "the same client token, the same copy");
    let dup = call(&t, &s, Method::POST, &uri, Some(json!({})), &[]).await;
    assert_eq!(
        failed(&dup, StatusCode::BAD_REQUEST),
        "ALREADY_EXISTS",
        "same name in the same library"
    );
    let named = call(
        &t,
        &s,
        Method::POST,
        &uri,
        Some(json!({"name": "vm-2"})),
        &[],
    )
    .await;
    assert_eq!(named.status, StatusCode::CREATED, "{}", named.text);

    let c = get(&t, &s, &copy).await;
    assert_eq!(
        (
            c["name"].as_str(),
            c["type"].as_str(),
            c["description"].as_str()
        ),
        (Some("vm"), Some("ovf"), Some("src"))
    );
    assert_eq!(c["library_id"], other.as_str());
    assert_eq!(c["size"], 11);
    let file = |item: String| {
        let (t, s) = (&t, &s);
        async move {
            call(
                t,
                s,
                Method::GET,
                &format!("{ITEMS}/{item}/file?name=vm.ovf"),
                None,
                &[],
            )
            .await
            .body
        }
    };
    assert_eq!(
        file(copy.clone()).await["checksum_info"],
        file(id.clone()).await["checksum_info"]
    );

    let r = call(
        &t,
        &s,
        Method::DELETE,
        &format!("/api/content/local-library/{lib}"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let digest = Sha256Digest::compute(b"<Envelope/>");
    let kept = t.app.library.blobs().read_all(&digest, 100).await.unwrap();
    assert_eq!(kept, b"<Envelope/>");
    assert_eq!(file(copy).await["cached"], true);
}

#[tokio::test]
async fn copying_an_unknown_item_is_not_found() {
    let (t, s) = app().await;
    let r = call(
        &t,
        &s,
        Method::POST,
        &format!("{ITEMS}/9b2c4d1e-0000-4000-8000-00000000abcd?action=copy"),
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
}

#[tokio::test]
async fn bad_item_input_is_refused_and_nothing_is_stored() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let sub = subscribed(&t, "sub").await;
    for (bad, status, error) in [
        (
            json!({"name": "no library"}),
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
        ),
        (
            json!({"library_id": lib}),
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
        ),
        (
            json!({"library_id": lib, "name": ""}),
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
        ),
        (
            json!({"library_id": lib, "name": "x".repeat(256)}),
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
        ),
        (
            json!({"library_id": sub, "name": "x"}),
            StatusCode::BAD_REQUEST,
            "INVALID_ELEMENT_TYPE",
        ),
        (
            json!({"library_id": "9b2c4d1e-0000-4000-8000-00000000abcd", "name": "x"}),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            json!({"library_id": lib, "name": "x", "bogus": 1}),
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
        ),
    ] {
        let r = call(&t, &s, Method::POST, ITEMS, Some(bad.clone()), &[]).await;
        assert_eq!(failed(&r, status), error, "{bad}");
    }
}

#[tokio::test]
async fn duplicates_stale_versions_and_open_sessions_are_refused() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let id = new_item(&t, &s, json!({"library_id": lib, "name": "one"})).await;
    let r = call(
        &t,
        &s,
        Method::POST,
        ITEMS,
        Some(json!({"library_id": lib, "name": "one"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "ALREADY_EXISTS");
    let two = new_item(&t, &s, json!({"library_id": lib, "name": "two"})).await;
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{ITEMS}/{two}"),
        Some(json!({"name": "one"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::BAD_REQUEST), "ALREADY_EXISTS");
    let r = call(
        &t,
        &s,
        Method::PATCH,
        &format!("{ITEMS}/{id}"),
        Some(json!({"description": "x", "version": "9"})),
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::CONFLICT), "CONCURRENT_CHANGE");
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}?library_id=9b2c4d1e-0000-4000-8000-00000000abcd"),
        None,
        &[],
    )
    .await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");
    let r = call(&t, &s, Method::GET, ITEMS, None, &[]).await;
    assert_eq!(
        failed(&r, StatusCode::BAD_REQUEST),
        "INVALID_ARGUMENT",
        "library_id is required"
    );
    let r = call(
        &t,
        &s,
        Method::GET,
        &format!("{ITEMS}?library_id={lib}"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.body, json!([id, two]));
    assert_eq!(get(&t, &s, &id).await["version"], "1");

    let item: ItemId = id.parse().unwrap();
    let now = depot_model::now();
    let session = UpdateSession::new(item, ADMIN, now, now + chrono::Duration::minutes(5));
    t.app
        .library
        .store()
        .insert_update_session(&session, None)
        .await
        .unwrap();
    let r = call(&t, &s, Method::DELETE, &format!("{ITEMS}/{id}"), None, &[]).await;
    assert_eq!(
        failed(&r, StatusCode::BAD_REQUEST),
        "NOT_ALLOWED_IN_CURRENT_STATE"
    );
}

#[tokio::test]
async fn find_and_client_tokens() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let token = [("Client-Token", "item-token")];
    let r = call(
        &t,
        &s,
        Method::POST,
        ITEMS,
        Some(json!({"library_id": lib, "name": "a", "type": "iso"})),
        &token,
    )
    .await;
    let first = r.body.as_str().unwrap().to_owned();
    let r = call(
        &t,
        &s,
        Method::POST,
        ITEMS,
        Some(json!({"library_id": lib, "name": "a", "type": "iso"})),
        &token,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body, json!(first));
    let second = new_item(
        &t,
        &s,
        json!({"library_id": lib, "name": "b", "type": "ovf"}),
    )
    .await;
    let find = |spec: Value| {
        let (t, s) = (&t, &s);
        async move {
            call(
                t,
                s,
                Method::POST,
                &format!("{ITEMS}?action=find"),
                Some(spec),
                &[],
            )
            .await
            .body
        }
    };
    assert_eq!(
        find(json!({"library_id": lib})).await,
        json!([first, second])
    );
    assert_eq!(find(json!({"type": "ovf"})).await, json!([second]));
    assert_eq!(
        find(json!({"name": "a", "library_id": lib})).await,
        json!([first])
    );
    assert_eq!(find(json!({"library_id": "not-an-id"})).await, json!([]));
}

#[tokio::test]
async fn publish_and_privileges() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib", "publish_info": {"published": true, "authentication_method": "NONE"}})).await;
    let id = new_item(&t, &s, json!({"library_id": lib, "name": "a"})).await;
    let uri = format!("{ITEMS}/{id}?action=publish");
    let r = call(
        &t,
        &s,
        Method::POST,
        &uri,
        Some(json!({"force_sync_content": true})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let body = json!({"force_sync_content": false, "subscriptions": [{"subscription": "x"}]});
    let r = call(&t, &s, Method::POST, &uri, Some(body), &[]).await;
    assert_eq!(failed(&r, StatusCode::NOT_FOUND), "NOT_FOUND");

    t.add_user(READER, Role::ReadOnly, READER_PASSWORD).await;
    let ro = t.vsphere_session(READER, READER_PASSWORD).await;
    assert_eq!(get(&t, &ro, &id).await["name"], "a");
    let r = call(
        &t,
        &ro,
        Method::GET,
        &format!("{ITEMS}/{id}/file"),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for (method, uri, body) in [
        (
            Method::POST,
            ITEMS.to_owned(),
            Some(json!({"library_id": lib, "name": "no"})),
        ),
        (
            Method::PATCH,
            format!("{ITEMS}/{id}"),
            Some(json!({"name": "no"})),
        ),
        (Method::DELETE, format!("{ITEMS}/{id}"), None),
        (
            Method::POST,
            format!("{ITEMS}/{id}?action=copy"),
            Some(json!({"name": "no"})),
        ),
        (
            Method::POST,
            uri.clone(),
            Some(json!({"force_sync_content": true})),
        ),
    ] {
        let r = call(&t, &ro, method, &uri, body, &[]).await;
        assert_eq!(failed(&r, StatusCode::FORBIDDEN), "UNAUTHORIZED", "{uri}");
    }
    assert_eq!(get(&t, &s, &id).await["version"], "1");
}

#[tokio::test]
async fn items_over_json_rpc_as_the_sdk_sends_them() {
    let (t, s) = app().await;
    let lib = create(&t, &s, json!({"name": "lib"})).await;
    let svc = "com.vmware.content.library.item";
    let spec = |name: &str| {
        json!({"STRUCTURE": {"com.vmware.content.library.item_model": {
        "library_id": {"OPTIONAL": lib}, "name": {"OPTIONAL": name}, "type": {"OPTIONAL": "iso"},
        "description": {"OPTIONAL": null}, "id": {"OPTIONAL": null}, "cached": {"OPTIONAL": null}}}})
    };
    let input = json!({"client_token": {"OPTIONAL": "t-1"}, "create_spec": spec("rpc.iso")});
    let created = rpc(&t, &s, svc, "create", input.clone()).await;
    let id = created["output"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    assert_eq!(
        rpc(&t, &s, svc, "create", input).await["output"],
        id.as_str()
    );
    let listed = rpc(&t, &s, svc, "list", json!({"library_id": lib})).await;
    assert_eq!(listed["output"], json!([id]));
    let got = rpc(&t, &s, svc, "get", json!({"library_item_id": id})).await;
    let item = &got["output"]["STRUCTURE"]["com.vmware.content.library.item_model"];
    assert_eq!(item["name"]["OPTIONAL"], "rpc.iso", "{got}");
    let copy = json!({"client_token": {"OPTIONAL": null}, "source_library_item_id": id,
                      "destination_create_spec": spec("rpc-copy.iso")});
    let copied = rpc(&t, &s, svc, "copy", copy).await;
    assert!(copied["output"].is_string(), "{copied}");
    let dup = rpc(
        &t,
        &s,
        svc,
        "create",
        json!({"create_spec": spec("rpc.iso")}),
    )
    .await;
    assert_eq!(rpc_error(&dup), "com.vmware.vapi.std.errors.already_exists");
    let files = rpc(
        &t,
        &s,
        "com.vmware.content.library.item.file",
        "list",
        json!({"library_item_id": id}),
    )
    .await;
    assert_eq!(files["output"], json!([]), "{files}");
    let gone = rpc(&t, &s, svc, "delete", json!({"library_item_id": id})).await;
    assert!(gone.get("error").is_none(), "{gone}");
}
