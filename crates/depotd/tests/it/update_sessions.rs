//! Update sessions over `/api` REST and the `/cls/data` upload endpoint, in process:
//! the PUSH lifecycle, every refused input, OVF validation, expiry.

#![expect(
    clippy::many_single_char_names,
    reason = "t: the app, r/s/v/…: replies, read once each"
)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_metadata::CreateOutcome;
use depot_model::{ItemId, Library, LibraryItem, LibraryKind, ManualClock};
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

pub const US: &str = "/api/content/library/item/update-session";

/// A library with one item (of `item_type`), made through the store.
pub async fn item(t: &TestApp, item_type: Option<&str>) -> ItemId {
    let now = depot_model::now();
    let library = Library::new(
        format!("lib-{}", uuid::Uuid::new_v4()),
        LibraryKind::Local,
        now,
    );
    assert_eq!(
        t.app.store.insert_library(&library, None).await.unwrap(),
        CreateOutcome::Created
    );
    let mut item = LibraryItem::new(library.id, "item", now);
    item.item_type = item_type.map(str::to_owned);
    assert_eq!(
        t.app.store.insert_item(&item, None).await.unwrap(),
        CreateOutcome::Created
    );
    item.id
}

/// A REST call as the administrator.
pub async fn api(t: &TestApp, sid: &str, method: Method, uri: &str, body: Option<Value>) -> Reply {
    let text = body.map(|b| b.to_string());
    t.send(
        method,
        uri,
        &[("vmware-api-session-id", sid)],
        text.as_deref(),
    )
    .await
}

/// Opens a session on `item`; returns its id.
pub async fn open(t: &TestApp, sid: &str, item: ItemId) -> String {
    let r = api(
        t,
        sid,
        Method::POST,
        US,
        Some(json!({"library_item_id": item.to_string()})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body.as_str().unwrap().to_owned()
}

/// Adds a PUSH file; returns the upload endpoint's path (below the base URL).
pub async fn add_push(t: &TestApp, sid: &str, session: &str, spec: Value) -> String {
    let r = api(
        t,
        sid,
        Method::POST,
        &format!("{US}/{session}/file"),
        Some(spec),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "WAITING_FOR_TRANSFER", "{}", r.body);
    let uri = r.body["upload_endpoint"]["uri"].as_str().unwrap();
    let at = uri
        .find("/cls/data/")
        .expect("an upload endpoint under /cls/data");
    uri[at..].to_owned()
}

/// PUTs `bytes` to an upload path (no session header: the path is the capability).
pub async fn put(t: &TestApp, path: &str, bytes: &[u8]) -> Reply {
    let request = Request::builder()
        .method(Method::PUT)
        .uri(path)
        .header("content-type", "application/octet-stream")
        .header("content-length", bytes.len())
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    t.call(request).await
}

pub async fn file(t: &TestApp, sid: &str, session: &str, name: &str) -> Value {
    let r = api(
        t,
        sid,
        Method::GET,
        &format!("{US}/{session}/file/{name}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Uploads `content` as `name` into a new session on `item` and completes it.
pub async fn upload_complete(t: &TestApp, sid: &str, item: ItemId, name: &str, content: &[u8]) {
    let session = open(t, sid, item).await;
    let path = add_push(
        t,
        sid,
        &session,
        json!({"name": name, "source_type": "PUSH", "size": content.len()}),
    )
    .await;
    assert_eq!(put(t, &path, content).await.status, StatusCode::OK);
    let r = api(
        t,
        sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

async fn create_with_token(t: &TestApp, sid: &str, item: ItemId, token: &str) -> Reply {
    let body = json!({"library_item_id": item.to_string()}).to_string();
    t.send(
        Method::POST,
        US,
        &[("vmware-api-session-id", sid), ("client-token", token)],
        Some(&body),
    )
    .await
}

fn hex_digest<D: Digest>(data: &[u8]) -> String {
    hex::encode(D::digest(data))
}

#[tokio::test]
async fn a_pushed_file_is_uploaded_validated_and_committed() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let item = item(&t, Some("iso")).await;
    let before = t.app.store.get_item(item).await.unwrap().unwrap();
    // Client-Token: the same token answers the same session.
    let first = create_with_token(&t, &sid, item, "tok-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(
        create_with_token(&t, &sid, item, "tok-1").await.body,
        first.body
    );
    let session = first.body.as_str().unwrap().to_owned();
    // One active session per item.
    let busy = api(
        &t,
        &sid,
        Method::POST,
        US,
        Some(json!({"library_item_id": item.to_string()})),
    )
    .await;
    assert_eq!(busy.status, StatusCode::BAD_REQUEST, "{}", busy.text);
    assert_eq!(busy.body["error_type"], "RESOURCE_BUSY");

    let content: Vec<u8> = (0..300_000u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let path = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "esx.iso", "source_type": "PUSH", "size": content.len(),
               "checksum_info": {"algorithm": "SHA256", "checksum": hex_digest::<sha2::Sha256>(&content)}}),
    )
    .await;
    let token = path
        .trim_start_matches("/cls/data/")
        .split('/')
        .next()
        .unwrap();
    assert!(token.len() >= 22, "a token of at least 128 bits: {token}");
    let r = put(&t, &path, &content).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let info = file(&t, &sid, &session, "esx.iso").await;
    assert_eq!(info["status"], "READY", "{info}");
    assert_eq!(info["bytes_transferred"], content.len());
    let v = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file?action=validate"),
        None,
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);
    assert_eq!(
        v.body,
        json!({"has_errors": false, "missing_files": [], "invalid_files": []})
    );

    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let s = api(&t, &sid, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(s.body["state"], "DONE", "{}", s.body);
    let after = t.app.store.get_item(item).await.unwrap().unwrap();
    assert!(after.content_version > before.content_version);
    assert_eq!(after.size, content.len() as u64);
    let files = t.app.store.item_files(item).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "esx.iso");
    let (mut reader, _) = t.app.blobs.open(&files[0].digest.unwrap()).await.unwrap();
    let mut stored = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut stored)
        .await
        .unwrap();
    assert!(stored == content);

    // A completed session takes no more data and can be deleted.
    let late = put(&t, &path, &content).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert!(late.text.contains("DONE"), "{}", late.text);
    let list = api(
        &t,
        &sid,
        Method::GET,
        &format!("{US}?library_item_id={item}"),
        None,
    )
    .await;
    assert_eq!(list.body, json!([session]));
    let d = api(&t, &sid, Method::DELETE, &format!("{US}/{session}"), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.text);
    let gone = api(&t, &sid, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_tokens_names_and_file_names_are_refused() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let session = open(&t, &sid, item(&t, None).await).await;
    for bad in ["../x", "a/b", "", "..", "a\\b"] {
        let r = api(
            &t,
            &sid,
            Method::POST,
            &format!("{US}/{session}/file"),
            Some(json!({"name": bad, "source_type": "PUSH"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.text);
        assert_eq!(r.body["error_type"], "INVALID_ARGUMENT", "{bad:?}");
    }
    let path = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "a.bin", "source_type": "PUSH"}),
    )
    .await;
    let wrong_token = path.replacen("/cls/data/", "/cls/data/x", 1);
    let r = put(&t, &wrong_token, b"data").await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (StatusCode::NOT_FOUND, "not found\n")
    );
    let wrong_name = path.replace("/a.bin", "/b.bin");
    assert_eq!(
        put(&t, &wrong_name, b"data").await.status,
        StatusCode::NOT_FOUND
    );
    // Duplicate names in a session; a bad checksum declaration.
    let dup = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file"),
        Some(json!({"name": "a.bin", "source_type": "PUSH"})),
    )
    .await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST, "{}", dup.text);
    let bad_sum = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file"),
        Some(json!({"name": "c.bin", "source_type": "PUSH",
                    "checksum_info": {"algorithm": "MD5", "checksum": "xyz"}})),
    )
    .await;
    assert_eq!(bad_sum.status, StatusCode::BAD_REQUEST, "{}", bad_sum.text);
    // NONE is not offered: a clear refusal.
    let none = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file"),
        Some(json!({"name": "n.bin", "source_type": "NONE"})),
    )
    .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST, "{}", none.text);
    assert!(none.text.contains("PUSH"), "{}", none.text);
}

#[tokio::test]
async fn each_checksum_algorithm_is_checked_and_a_mismatch_can_be_retried() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let session = open(&t, &sid, item(&t, None).await).await;
    let content = b"0123456789abcdef".repeat(1000);
    for (name, algorithm, sum) in [
        ("md5.bin", "MD5", hex_digest::<md5::Md5>(&content)),
        ("sha1.bin", "SHA1", hex_digest::<sha1::Sha1>(&content)),
        ("sha512.bin", "SHA512", hex_digest::<sha2::Sha512>(&content)),
    ] {
        let path = add_push(
            &t,
            &sid,
            &session,
            json!({"name": name, "source_type": "PUSH",
            "size": content.len(), "checksum_info": {"algorithm": algorithm, "checksum": sum}}),
        )
        .await;
        // A changed byte: the checksum fails, the file is in ERROR with a message.
        let mut changed = content.clone();
        changed[7] ^= 1;
        let r = put(&t, &path, &changed).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
        assert!(r.text.contains("checksum"), "{}", r.text);
        let info = file(&t, &sid, &session, name).await;
        assert_eq!(info["status"], "ERROR", "{info}");
        assert!(
            info["error_message"]["default_message"]
                .as_str()
                .unwrap()
                .contains("checksum")
        );
        // The retry with the right bytes works.
        assert_eq!(
            put(&t, &path, &content).await.status,
            StatusCode::OK,
            "{name}"
        );
        assert_eq!(file(&t, &sid, &session, name).await["status"], "READY");
    }
}

#[tokio::test]
async fn oversized_short_and_mismatched_bodies_store_nothing_and_can_be_retried() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let item = item(&t, None).await;
    let session = open(&t, &sid, item).await;
    let path = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "sized.bin", "source_type": "PUSH", "size": 100}),
    )
    .await;
    // Past the declared size: 413 up front (Content-Length) and nothing stored.
    let r = put(&t, &path, &[7u8; 101]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(
        file(&t, &sid, &session, "sized.bin").await["status"],
        "WAITING_FOR_TRANSFER"
    );
    // Past the declared size without a length: cut at the cap, nothing stored.
    let chunked = Request::builder()
        .method(Method::POST)
        .uri(&path)
        .body(Body::from(vec![7u8; 5000]))
        .unwrap();
    let r = t.call(chunked).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(
        file(&t, &sid, &session, "sized.bin").await["status"],
        "ERROR"
    );
    // Short: the file stays unusable, and complete names it.
    let r = put(&t, &path, &[7u8; 60]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let info = file(&t, &sid, &session, "sized.bin").await;
    assert_eq!(
        (info["status"].as_str(), info["bytes_transferred"].as_i64()),
        (Some("ERROR"), Some(0))
    );
    let v = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file?action=validate"),
        None,
    )
    .await;
    assert_eq!(v.body["has_errors"], true, "{}", v.body);
    assert_eq!(
        v.body["invalid_files"][0]["name"], "sized.bin",
        "{}",
        v.body
    );
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE");
    assert!(r.text.contains("sized.bin"), "{}", r.text);
    assert!(
        t.app.store.item_files(item).await.unwrap().is_empty(),
        "nothing committed"
    );
    // POST is accepted like PUT; then the session completes.
    let ok = Request::builder()
        .method(Method::POST)
        .uri(&path)
        .body(Body::from(vec![7u8; 100]))
        .unwrap();
    assert_eq!(t.call(ok).await.status, StatusCode::OK);
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.app.store.item_files(item).await.unwrap().len(), 1);
}

#[tokio::test]
async fn canceled_and_failed_sessions_take_no_data_and_delete_only_when_ended() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let item = item(&t, None).await;
    let session = open(&t, &sid, item).await;
    let path = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "f", "source_type": "PUSH"}),
    )
    .await;
    let d = api(&t, &sid, Method::DELETE, &format!("{US}/{session}"), None).await;
    assert_eq!(d.status, StatusCode::BAD_REQUEST, "active: {}", d.text);
    let k = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=keep-alive"),
        Some(json!({"client_progress": 40})),
    )
    .await;
    assert_eq!(k.status, StatusCode::NO_CONTENT, "{}", k.text);
    let s = api(&t, &sid, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(s.body["client_progress"], 40);
    let bad = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=keep-alive"),
        Some(json!({"client_progress": 101})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // update: warning_behavior is accepted, other fields are refused.
    let u = api(
        &t,
        &sid,
        Method::PATCH,
        &format!("{US}/{session}"),
        Some(json!({"warning_behavior": [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": true}]})),
    )
    .await;
    assert_eq!(u.status, StatusCode::NO_CONTENT, "{}", u.text);
    let u = api(
        &t,
        &sid,
        Method::PATCH,
        &format!("{US}/{session}"),
        Some(json!({"client_progress": 3})),
    )
    .await;
    assert_eq!(u.status, StatusCode::BAD_REQUEST, "{}", u.text);

    let c = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=cancel"),
        None,
    )
    .await;
    assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
    let r = put(&t, &path, b"late").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("CANCELED"), "{}", r.text);
    let again = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=cancel"),
        None,
    )
    .await;
    assert_eq!(
        again.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE",
        "{}",
        again.text
    );
    assert_eq!(
        api(&t, &sid, Method::DELETE, &format!("{US}/{session}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let second = open(&t, &sid, item).await;
    let f = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{second}?action=fail"),
        Some(json!({"client_error_message": "upload aborted"})),
    )
    .await;
    assert_eq!(f.status, StatusCode::NO_CONTENT, "{}", f.text);
    let s = api(&t, &sid, Method::GET, &format!("{US}/{second}"), None).await;
    assert_eq!(s.body["state"], "ERROR");
    assert_eq!(s.body["error_message"]["default_message"], "upload aborted");
}

#[tokio::test]
async fn an_ovf_descriptor_naming_a_missing_disk_fails_validation() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let session = open(&t, &sid, item(&t, Some("ovf")).await).await;
    let ovf = br#"<?xml version="1.0"?><Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
<References><File ovf:href="vm-disk1.vmdk" ovf:id="f1"/><File ovf:href="vm-disk2.vmdk" ovf:id="f2"/></References>
</Envelope>"#;
    let p = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "vm.ovf", "source_type": "PUSH"}),
    )
    .await;
    assert_eq!(put(&t, &p, ovf).await.status, StatusCode::OK);
    let p = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "vm-disk1.vmdk", "source_type": "PUSH"}),
    )
    .await;
    assert_eq!(put(&t, &p, b"disk one").await.status, StatusCode::OK);
    let v = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file?action=validate"),
        None,
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);
    assert_eq!(v.body["has_errors"], true);
    assert_eq!(v.body["missing_files"], json!(["vm-disk2.vmdk"]));
    // Completing now is refused, naming the disk, and the session stays open.
    let c = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(c.status, StatusCode::BAD_REQUEST, "{}", c.text);
    assert_eq!(c.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE");
    assert!(c.text.contains("vm-disk2.vmdk"), "{}", c.text);
    let s = api(&t, &sid, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(s.body["state"], "ACTIVE");
    let p = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "vm-disk2.vmdk", "source_type": "PUSH"}),
    )
    .await;
    assert_eq!(put(&t, &p, b"disk two").await.status, StatusCode::OK);
    let v = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}/file?action=validate"),
        None,
    )
    .await;
    assert_eq!(v.body["has_errors"], false, "{}", v.body);
    let c = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
}

#[tokio::test]
async fn idle_sessions_expire_and_take_no_more_data() {
    let clock = ManualClock::starting_now();
    let t = TestApp::with_clock(
        |c| c.library.update_session_timeout = Duration::from_mins(1),
        Vec::new(),
        Arc::clone(&clock) as Arc<dyn depot_model::Clock>,
    )
    .await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let item = item(&t, None).await;
    let session = open(&t, &sid, item).await;
    let path = add_push(
        &t,
        &sid,
        &session,
        json!({"name": "f", "source_type": "PUSH"}),
    )
    .await;
    assert_eq!(put(&t, &path, b"partial").await.status, StatusCode::OK);
    clock.advance(Duration::from_secs(45));
    let k = api(
        &t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=keep-alive"),
        None,
    )
    .await;
    assert_eq!(k.status, StatusCode::NO_CONTENT);
    clock.advance(Duration::from_secs(45));
    assert_eq!(
        t.app
            .library
            .expire_sessions()
            .await
            .unwrap()
            .update_sessions,
        0,
        "kept alive"
    );
    clock.advance(Duration::from_secs(30));
    // Expired but not yet swept: no data is taken.
    let r = put(&t, &path, b"more").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("expired"), "{}", r.text);
    assert_eq!(
        t.app
            .library
            .expire_sessions()
            .await
            .unwrap()
            .update_sessions,
        1
    );
    let s = api(&t, &sid, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(s.body["state"], "CANCELED", "{}", s.body);
    // Its partial data holds no blob any more; the item takes a new session.
    let refs = t.app.store.blob_references().await.unwrap();
    assert!(refs.is_empty(), "{refs:?}");
    open(&t, &sid, item).await;
}

#[tokio::test]
async fn a_read_only_user_reads_sessions_but_cannot_open_one() {
    let t = TestApp::new().await;
    t.add_user("reader", depot_model::Role::ReadOnly, "Reader!23-test")
        .await;
    let admin = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let reader = t.vsphere_session("reader", "Reader!23-test").await;
    let item = item(&t, None).await;
    let r = api(
        &t,
        &reader,
        Method::POST,
        US,
        Some(json!({"library_item_id": item.to_string()})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let session = open(&t, &admin, item).await;
    let r = api(&t, &reader, Method::GET, &format!("{US}/{session}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api(
        &t,
        &reader,
        Method::POST,
        &format!("{US}/{session}?action=cancel"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn json_rpc_reads_a_session_and_its_files() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let session = open(&t, &sid, item(&t, None).await).await;
    add_push(
        &t,
        &sid,
        &session,
        json!({"name": "f.iso", "source_type": "PUSH", "size": 3}),
    )
    .await;
    let call = |service: &str, operation: &str| {
        json!({"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {
            "serviceId": service, "operationId": operation,
            "input": {"STRUCTURE": {"operation-input": {"update_session_id": session}}},
            "ctx": {"appCtx": {}, "securityCtx": {
                "schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": sid}}}})
        .to_string()
    };
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&call(
                "com.vmware.content.library.item.update_session",
                "get",
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let model = &r.body["result"]["output"]["STRUCTURE"]["com.vmware.content.library.item.update_session_model"];
    assert_eq!(model["state"]["OPTIONAL"], "ACTIVE", "{}", r.body);
    let r = t
        .send(
            Method::POST,
            "/api",
            &[],
            Some(&call(
                "com.vmware.content.library.item.updatesession.file",
                "list",
            )),
        )
        .await;
    let files = r.body["result"]["output"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body));
    let info = &files[0]["STRUCTURE"]["com.vmware.content.library.item.updatesession.file.info"];
    assert_eq!(info["status"], "WAITING_FOR_TRANSFER", "{}", r.body);
    assert!(
        info["upload_endpoint"]["OPTIONAL"]["STRUCTURE"]["com.vmware.content.library.item.transfer_endpoint"]["uri"]
            .as_str()
            .is_some_and(|u| u.contains("/cls/data/")),
        "{}",
        r.body
    );
}
