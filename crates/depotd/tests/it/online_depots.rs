//! ESX online depots: `com.vmware.esx.settings.depots.online` CRUD shapes, and
//! `depots` `sync$task` against a fixture bundle unzipped into a directory and served
//! over loopback HTTP: content equal to the offline bundle's, payloads verified and
//! stored once, a 5xx retried, failures leaving the previous content (or none; a blob
//! store gone mid-sync fails the task as retriable), one sync at a time, JSON-RPC.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use depot_esx::fixture::BundleBuilder;
use depot_esx::{DiscardPayloads, Limits, parse_bundle};
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

const ONLINE: &str = "/api/esx/settings/depots/online";
const SYNC: &str = "/api/esx/settings/depots?action=sync&vmw-task=true";

/// A depot tree served over loopback HTTP, logging the paths asked for.
struct Served {
    dir: tempfile::TempDir,
    url: String,
    hits: Arc<Mutex<Vec<String>>>,
    /// Milliseconds each VIB payload answer waits.
    vib_delay_ms: Arc<AtomicU64>,
    /// Paths answered `503` once (then served).
    fail_once: Arc<Mutex<BTreeSet<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = (
    PathBuf,
    Arc<Mutex<Vec<String>>>,
    Arc<AtomicU64>,
    Arc<Mutex<BTreeSet<String>>>,
);

async fn file(
    State((root, hits, delay, fail_once)): State<Shared>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    hits.lock().unwrap().push(path.clone());
    if fail_once.lock().unwrap().remove(&path) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if is_vib(&path) {
        let ms = delay.load(Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    if path.split('/').any(|s| s == "..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match tokio::fs::read(root.join(&path)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Served {
    async fn new(builder: &BundleBuilder) -> Self {
        let dir = tempfile::tempdir().unwrap();
        builder.write_tree(dir.path()).unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let vib_delay_ms = Arc::new(AtomicU64::new(0));
        let fail_once = Arc::new(Mutex::new(BTreeSet::new()));
        let router = Router::new()
            .route("/depot/{*path}", axum::routing::get(file))
            .with_state((
                dir.path().to_owned(),
                Arc::clone(&hits),
                Arc::clone(&vib_delay_ms),
                Arc::clone(&fail_once),
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/depot/index.xml", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            dir,
            url,
            hits,
            vib_delay_ms,
            fail_once,
            server,
        }
    }

    fn take_hits(&self) -> Vec<String> {
        std::mem::take(&mut *self.hits.lock().unwrap())
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }
}

async fn api(t: &TestApp, method: Method, uri: &str, body: Option<Value>) -> Reply {
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let body = body.map(|b| b.to_string());
    t.send(
        method,
        uri,
        &[("vmware-api-session-id", &session)],
        body.as_deref(),
    )
    .await
}

async fn create(t: &TestApp, location: &str) -> String {
    let r = api(t, Method::POST, ONLINE, Some(json!({"location": location}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body.as_str().unwrap().to_owned()
}

/// Runs a sync to its end; the task info.
async fn sync(t: &TestApp, body: Option<Value>) -> Value {
    let r = api(t, Method::POST, SYNC, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let task = r.body.as_str().unwrap().to_owned();
    t.app.services.tasks.run_pending().await.unwrap();
    let r = api(t, Method::GET, &format!("/api/cis/tasks/{task}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn content(t: &TestApp, id: &str) -> Value {
    let r = api(t, Method::GET, &format!("{ONLINE}/{id}/content"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Whether a requested path is a VIB payload.
fn is_vib(path: &str) -> bool {
    std::path::Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("vib"))
}

fn offline_content(builder: &BundleBuilder) -> Value {
    let depot = parse_bundle(
        Cursor::new(builder.build()),
        &Limits::default(),
        &mut DiscardPayloads,
    )
    .unwrap();
    serde_json::to_value(depot.content()).unwrap()
}

#[tokio::test]
async fn online_depots_are_created_listed_updated_and_deleted() {
    let t = TestApp::new().await;
    let body = json!({"location": "https://hostupdate.example.com/main/vmw-depot-index.xml",
                      "description": "main", "ownerdata": "x"});
    let r = api(&t, Method::POST, ONLINE, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body.as_str().unwrap().to_owned();

    let r = api(&t, Method::POST, ONLINE, Some(body)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "ALREADY_EXISTS");
    for bad in ["ftp://h/index.xml", "file:///srv/index.xml", "not a url"] {
        let r = api(&t, Method::POST, ONLINE, Some(json!({"location": bad}))).await;
        assert_eq!(
            r.body["error_type"], "INVALID_ARGUMENT",
            "{bad}: {}",
            r.text
        );
    }

    let info = json!({"description": "main",
                      "location": "https://hostupdate.example.com/main/vmw-depot-index.xml",
                      "enabled": true, "system_defined": false, "owner": ADMIN, "ownerdata": "x"});
    let r = api(&t, Method::GET, &format!("{ONLINE}/{id}"), None).await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &info), "{}", r.text);
    let r = api(&t, Method::GET, ONLINE, None).await;
    assert_eq!(r.body, json!({ id.clone(): info }), "{}", r.text);

    let r = api(
        &t,
        Method::PATCH,
        &format!("{ONLINE}/{id}"),
        Some(json!({"enabled": false, "description": "off"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = api(&t, Method::GET, &format!("{ONLINE}/{id}"), None).await;
    assert_eq!(
        (&r.body["enabled"], &r.body["description"]),
        (&json!(false), &json!("off"))
    );
    assert_eq!(content(&t, &id).await, json!({"metadata_bundles": {}}));

    let r = api(&t, Method::DELETE, &format!("{ONLINE}/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = api(&t, Method::DELETE, &format!("{ONLINE}/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    for uri in [
        format!("{ONLINE}/{id}"),
        format!("{ONLINE}/{id}/content"),
        format!("{ONLINE}/nope"),
    ] {
        let r = api(&t, Method::GET, &uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.text);
    }
}

#[tokio::test]
async fn a_sync_brings_the_bundles_content_and_verified_payloads_once() {
    let builder = BundleBuilder::new(64 << 10);
    let served = Served::new(&builder).await;
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;

    let info = sync(&t, None).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    assert_eq!(info["service"], "com.vmware.esx.settings.depots");
    assert_eq!(info["operation"], "sync");
    let (files, bytes) = builder.payload_totals();
    assert_eq!(info["progress"]["completed"], json!(bytes), "{info}");
    assert_eq!(content(&t, &id).await, offline_content(&builder));
    let vibs = served.take_hits().into_iter().filter(|p| is_vib(p)).count();
    assert_eq!(vibs, files);
    let stored = t.app.blobs.list().await.unwrap();
    let state = t
        .app
        .store
        .online_depot_state(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let payloads = state.content.unwrap().payloads;
    assert_eq!(payloads.len(), files);
    for p in &payloads {
        let on_disk = std::fs::read(served.path(&p.path)).unwrap();
        assert_eq!(p.digest, depot_model::Sha256Digest::compute(&on_disk));
        assert!(
            stored.iter().any(|b| b.digest == p.digest),
            "{} not stored",
            p.path
        );
    }
    let references = t.app.store.blob_references().await.unwrap();
    assert!(payloads.iter().all(|p| references.contains(&p.digest)));

    // Nothing changed: no payload is fetched again.
    let info = sync(&t, Some(json!({"cleanup": true}))).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    let hits = served.take_hits();
    assert!(!hits.iter().any(|p| is_vib(p)), "{hits:?}");
    assert_eq!(content(&t, &id).await, offline_content(&builder));
}

#[tokio::test]
async fn failed_syncs_keep_the_previous_content() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;
    assert_eq!(sync(&t, None).await["status"], "SUCCEEDED");
    let good = content(&t, &id).await;

    // A corrupted payload (same size): another builder seed changes every payload.
    let other = BundleBuilder::new(4096).seed(7);
    let tampered = tempfile::tempdir().unwrap();
    other.write_tree(tampered.path()).unwrap();
    let vib = builder.payload_path("esx-base").unwrap();
    let metadata = std::fs::read(served.path("metadata.zip")).unwrap();
    std::fs::copy(tampered.path().join(&vib), served.path(&vib)).unwrap();
    let state = t
        .app
        .store
        .online_depot_state(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let old_digest = state
        .content
        .unwrap()
        .payloads
        .into_iter()
        .find(|p| p.path == vib)
        .unwrap()
        .digest;
    // Its blob is held already, so the sync would not fetch it: drop the copy first.
    t.app
        .store
        .remove_blob_refs(&format!("online-depot:{id}"))
        .await
        .unwrap();
    t.app.blobs.delete(&old_digest).await.unwrap();
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "FAILED", "{info}");
    let message = info["error"]["messages"][0]["default_message"]
        .as_str()
        .unwrap();
    assert!(message.contains(&vib), "{info}");
    assert_eq!(content(&t, &id).await, good);

    // A missing metadata zip; then hostile XML.
    std::fs::remove_file(served.path("metadata.zip")).unwrap();
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "FAILED", "{info}");
    assert!(
        info["error"]["messages"][0]["default_message"]
            .as_str()
            .unwrap()
            .contains("metadata.zip"),
        "{info}"
    );
    assert_eq!(content(&t, &id).await, good);
    std::fs::write(served.path("metadata.zip"), metadata).unwrap();
    std::fs::write(
        served.path("index.xml"),
        "<?xml version=\"1.0\"?><!DOCTYPE v [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><vendorList>&x;</vendorList>",
    )
    .unwrap();
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "FAILED", "{info}");
    let message = info["error"]["messages"][0]["default_message"]
        .as_str()
        .unwrap();
    assert!(message.contains("DOCTYPE"), "{info}");
    assert_eq!(content(&t, &id).await, good);
}

#[tokio::test]
async fn a_payload_answered_503_once_is_fetched_again() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let vib = builder.payload_path("dell-nic").unwrap();
    served.fail_once.lock().unwrap().insert(vib.clone());
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    assert!(
        served.fail_once.lock().unwrap().is_empty(),
        "the 503 was sent"
    );
    let asked = served.take_hits().iter().filter(|p| **p == vib).count();
    assert_eq!(asked, 2, "asked once more after the 503");
    assert_eq!(content(&t, &id).await, offline_content(&builder));
    let on_disk = std::fs::read(served.path(&vib)).unwrap();
    let digest = depot_model::Sha256Digest::compute(&on_disk);
    assert_eq!(t.app.blobs.stat(&digest).await.unwrap(), Some(4096));
}

#[tokio::test]
async fn a_first_sync_with_a_corrupt_payload_records_nothing() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    // Same size, other bytes: the checksum the metadata declares does not match.
    let other = tempfile::tempdir().unwrap();
    BundleBuilder::new(4096)
        .seed(9)
        .write_tree(other.path())
        .unwrap();
    let vib = builder.payload_path("vmware-fdm").unwrap();
    std::fs::copy(other.path().join(&vib), served.path(&vib)).unwrap();
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "FAILED", "{info}");
    let message = info["error"]["messages"][0]["default_message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains(&vib), "{info}");
    assert_eq!(content(&t, &id).await, json!({"metadata_bundles": {}}));
    let state = t
        .app
        .store
        .online_depot_state(id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        state.is_none_or(|s| s.content.is_none()),
        "no content recorded"
    );
    assert!(t.app.store.blob_references().await.unwrap().is_empty());
    let corrupt = depot_model::Sha256Digest::compute(&std::fs::read(served.path(&vib)).unwrap());
    assert_eq!(
        t.app.blobs.stat(&corrupt).await.unwrap(),
        None,
        "not stored"
    );
}

#[tokio::test]
async fn delete_task_removes_the_depot_and_its_references() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;
    assert_eq!(sync(&t, None).await["status"], "SUCCEEDED");
    assert!(!t.app.store.blob_references().await.unwrap().is_empty());
    let uri = format!("{ONLINE}/{id}?vmw-task=true");
    let r = api(&t, Method::DELETE, &uri, Some(json!({"force": true}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let task = r.body.as_str().unwrap().to_owned();
    t.app.services.tasks.run_pending().await.unwrap();
    let r = api(&t, Method::GET, &format!("/api/cis/tasks/{task}"), None).await;
    assert_eq!(
        (&r.body["status"], &r.body["operation"]),
        (&json!("SUCCEEDED"), &json!("delete")),
        "{}",
        r.text
    );
    let r = api(&t, Method::GET, &format!("{ONLINE}/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(t.app.store.blob_references().await.unwrap().is_empty());
    let r = api(&t, Method::DELETE, &uri, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn a_canceled_sync_records_nothing() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    served.vib_delay_ms.store(30_000, Ordering::Relaxed);
    let t = TestApp::new().await;
    let id = create(&t, &served.url).await;
    let r = api(&t, Method::POST, SYNC, None).await;
    let task = r.body.as_str().unwrap().to_owned();
    let engine = Arc::clone(&t.app.services.tasks);
    let running = tokio::spawn(async move { engine.run_pending().await });
    // Wait until payloads are being asked for, then cancel.
    for _ in 0..200 {
        if served.hits.lock().unwrap().iter().any(|p| is_vib(p)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let r = api(
        &t,
        Method::POST,
        &format!("/api/cis/tasks/{task}?action=cancel"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("the cancel stops the sync")
        .unwrap()
        .unwrap();
    let r = api(&t, Method::GET, &format!("/api/cis/tasks/{task}"), None).await;
    assert_eq!(r.body["status"], "FAILED", "{}", r.text);
    assert_eq!(content(&t, &id).await, json!({"metadata_bundles": {}}));
    assert!(t.app.store.blob_references().await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_sync_requests_share_one_task() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let t = TestApp::new().await;
    create(&t, &served.url).await;
    let first = api(&t, Method::POST, SYNC, None).await;
    let second = api(&t, Method::POST, SYNC, Some(json!({"cleanup": false}))).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    assert_eq!(first.body, second.body);
    t.app.services.tasks.run_pending().await.unwrap();
    let third = api(&t, Method::POST, SYNC, None).await;
    assert_ne!(first.body, third.body, "a finished sync is not joined");
}

fn rpc(id: &str, service: &str, operation: &str, input: &Value, session: &str) -> String {
    json!({"jsonrpc": "2.0", "method": "invoke", "id": id, "params": {
        "serviceId": service, "operationId": operation, "input": input,
        "ctx": {"appCtx": {}, "securityCtx": {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": session}}}})
    .to_string()
}

#[tokio::test]
async fn json_rpc_creates_and_syncs() {
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let t = TestApp::new().await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let call = |id: &'static str, service: &'static str, op: &'static str, input: Value| {
        let body = rpc(id, service, op, &input, &session);
        let t = &t;
        async move { t.send(Method::POST, "/api", &[], Some(&body)).await }
    };
    let input = json!({"STRUCTURE": {"operation-input": {"spec": {"STRUCTURE": {
        "com.vmware.esx.settings.depots.online.create_spec": {"location": served.url.clone()}}}}}});
    let r = call(
        "1",
        "com.vmware.esx.settings.depots.online",
        "create",
        input,
    )
    .await;
    let depot = r.body["result"]["output"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!depot.is_empty(), "{}", r.text);

    let input = json!({"STRUCTURE": {"operation-input": {"spec": {"OPTIONAL": null}}}});
    let r = call("2", "com.vmware.esx.settings.depots", "sync$task", input).await;
    let task = r.body["result"]["output"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!task.is_empty(), "{}", r.text);
    t.app.services.tasks.run_pending().await.unwrap();
    let input = json!({"STRUCTURE": {"operation-input": {"task": task}}});
    let r = call("3", "com.vmware.cis.tasks", "get", input).await;
    let info = &r.body["result"]["output"]["STRUCTURE"]["com.vmware.cis.task.info"];
    assert_eq!(info["status"], "SUCCEEDED", "{}", r.text);
    assert_eq!(content(&t, &depot).await, offline_content(&builder));
}

/// The object store going away while a sync stores payloads (S3 behind the fault
/// proxy): the task fails retriable with `SERVICE_UNAVAILABLE` and the previous content
/// stays; once the store is back, the next sync brings the new content.
#[tokio::test]
async fn a_sync_while_the_store_disappears_fails_retriable_and_keeps_the_content() {
    let Some((endpoint, _)) = crate::support::s3_test_server() else {
        return;
    };
    let proxy = crate::fault_proxy::FaultProxy::start(&endpoint).await;
    let (_, tweak) = crate::s3_faults_vsphere::behind(&proxy);
    let builder = BundleBuilder::new(4096);
    let served = Served::new(&builder).await;
    let t = TestApp::with(tweak, Vec::new()).await;
    let id = create(&t, &served.url).await;
    assert_eq!(sync(&t, None).await["status"], "SUCCEEDED");
    let good = content(&t, &id).await;

    // The depot gains two components of 6 MiB payloads; the store goes away 2 MiB in.
    let grown = BundleBuilder::new(4096).extra_components(2, 6 << 20);
    grown.write_tree(served.dir.path()).unwrap();
    proxy.faults.die_after(2 << 20);
    let r = api(&t, Method::POST, SYNC, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let task = r.body.as_str().unwrap().to_owned();
    t.app.services.tasks.run_pending().await.unwrap();
    let r = api(&t, Method::GET, &format!("/api/cis/tasks/{task}"), None).await;
    let info = r.body;
    assert!(proxy.faults.is_dead(), "the store did not go away: {info}");
    assert_eq!(info["status"], "FAILED", "{info}");
    assert_eq!(info["error"]["error_type"], "SERVICE_UNAVAILABLE", "{info}");
    let fleet = crate::s3_faults_vsphere::fleet_task(&t, &task).await;
    assert_eq!(fleet["retriable"], true, "{fleet}");

    proxy.faults.revive();
    assert_eq!(content(&t, &id).await, good);
    let info = sync(&t, None).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    assert_eq!(content(&t, &id).await, offline_content(&grown));
}
