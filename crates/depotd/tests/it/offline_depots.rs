//! `com.vmware.esx.settings.depots.offline`: bundles imported by PUSH (an upload) and
//! PULL (a loopback web server, a file under the import directory) as tasks, read
//! back (list, get, content), refused (up front or as the task's error, with nothing
//! stored), found again by content (AlreadyExists with the depot in `data`) and
//! deleted (record; content, with in-use guards and `force`).

use std::collections::BTreeSet;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use depot_esx::fixture::BundleBuilder;
use depot_esx::{DiscardPayloads, Limits, parse_bundle};
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

const KIB: u64 = 1 << 10;
pub(crate) const OFFLINE: &str = "/api/esx/settings/depots/offline";

/// A small bundle (VIBs of tens of KiB).
pub(crate) fn bundle() -> BundleBuilder {
    BundleBuilder::new(24 * KIB)
}

/// The `content` view the parser gives for `zip`.
pub(crate) fn expected_content(zip: &[u8]) -> Value {
    let depot = parse_bundle(
        std::io::Cursor::new(zip),
        &Limits::default(),
        &mut DiscardPayloads,
    )
    .expect("the fixture parses");
    serde_json::to_value(depot.content()).unwrap()
}

pub(crate) struct Client {
    pub(crate) t: TestApp,
    sid: String,
}

impl Client {
    pub(crate) async fn new(tweak: impl FnOnce(&mut depotd::config::Config)) -> Self {
        let t = TestApp::with(tweak, Vec::new()).await;
        let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
        Self { t, sid }
    }

    pub(crate) async fn send(&self, method: Method, uri: &str, body: Option<&Value>) -> Reply {
        let text = body.map(Value::to_string);
        self.t
            .send(
                method,
                uri,
                &[("vmware-api-session-id", &self.sid)],
                text.as_deref(),
            )
            .await
    }

    pub(crate) async fn upload(&self, zip: &[u8]) -> String {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/vum-fileupload")
            .header("vmware-api-session-id", &self.sid)
            .header("content-type", "application/octet-stream")
            .body(Body::from(zip.to_vec()))
            .unwrap();
        let r = self.t.call(request).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.text.trim().to_owned()
    }

    /// `create$task` over REST: the task id, or the up-front refusal.
    pub(crate) async fn create(&self, spec: &Value) -> Result<String, Reply> {
        let r = self
            .send(
                Method::POST,
                &format!("{OFFLINE}?vmw-task=true"),
                Some(spec),
            )
            .await;
        if r.status == StatusCode::ACCEPTED {
            Ok(r.body.as_str().expect("a task id").to_owned())
        } else {
            Err(r)
        }
    }

    /// Runs the pending tasks; the task's CIS info.
    pub(crate) async fn finish(&self, task: &str) -> Value {
        self.t.app.services.tasks.run_pending().await.unwrap();
        let r = self
            .send(Method::GET, &format!("/api/cis/tasks/{task}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    /// Creates, runs, and answers the new depot's id.
    pub(crate) async fn import(&self, spec: &Value) -> String {
        let task = self
            .create(spec)
            .await
            .unwrap_or_else(|r| panic!("{}", r.text));
        let info = self.finish(&task).await;
        assert_eq!(info["status"], "SUCCEEDED", "{info}");
        info["result"]["depot"]
            .as_str()
            .expect("result.depot")
            .to_owned()
    }

    /// Creates and runs a task that must fail; its error.
    pub(crate) async fn failed(&self, spec: &Value) -> Value {
        let task = self
            .create(spec)
            .await
            .unwrap_or_else(|r| panic!("{}", r.text));
        let info = self.finish(&task).await;
        assert_eq!(info["status"], "FAILED", "{info}");
        assert!(info.get("result").is_none_or(Value::is_null), "{info}");
        info["error"].clone()
    }

    async fn depot_count(&self) -> usize {
        self.t.app.store.list_offline_depots().await.unwrap().len()
    }

    /// No depot, and no blob but the uploads' (and unreferenced downloads).
    pub(crate) async fn nothing_imported(&self) {
        assert_eq!(self.depot_count().await, 0);
        let r = self.send(Method::GET, OFFLINE, None).await;
        assert_eq!(r.body, json!({}), "{}", r.text);
        let referenced = self.referenced().await;
        let uploads = self.upload_digests().await;
        assert!(referenced.is_subset(&uploads), "only uploads hold blobs");
    }

    /// Every stored blob is one an upload references (nothing staged was committed).
    pub(crate) async fn only_uploads_stored(&self) {
        let uploads = self.upload_digests().await;
        for blob in self.t.app.blobs.list().await.unwrap() {
            assert!(
                uploads.contains(&blob.digest),
                "{} is stored and is no upload",
                blob.digest
            );
        }
    }

    async fn upload_digests(&self) -> BTreeSet<depot_model::Sha256Digest> {
        let mut digests = self.referenced().await;
        let depots = self.t.app.store.list_offline_depots().await.unwrap();
        for d in depots {
            for f in self.t.app.store.offline_depot_files(d.id).await.unwrap() {
                digests.remove(&f.digest);
            }
        }
        digests
    }

    /// Every blob some record references.
    async fn referenced(&self) -> BTreeSet<depot_model::Sha256Digest> {
        self.t
            .app
            .store
            .blob_references()
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    /// Drops every unreferenced blob now.
    pub(crate) async fn collect_garbage(&self) {
        let referenced = self.referenced().await;
        self.t
            .app
            .blobs
            .collect_garbage(&|d| referenced.contains(d), Duration::ZERO)
            .await
            .unwrap();
    }
}

pub(crate) fn push(file_id: &str) -> Value {
    json!({"source_type": "PUSH", "file_id": file_id, "description": "uploaded bundle"})
}

pub(crate) fn pull(location: &str) -> Value {
    json!({"source_type": "PULL", "location": location})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_bundle_is_imported_and_read_back() {
    let c = Client::new(|_| {}).await;
    let zip = bundle().build();
    let file_id = c.upload(&zip).await;
    let mut spec = push(&file_id);
    spec["owner_data"] = json!("{\"by\": \"test\"}");
    let depot = c.import(&spec).await;

    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{depot}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let info = r.body.as_object().unwrap();
    let keys: BTreeSet<&str> = info.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "description",
            "source_type",
            "file_id",
            "create_time",
            "owner",
            "ownerdata"
        ])
    );
    assert_eq!(info["source_type"], "PUSH");
    assert_eq!(info["file_id"], file_id.as_str());
    assert_eq!(info["description"], "uploaded bundle");
    assert_eq!(info["owner"], ADMIN);
    assert_eq!(info["ownerdata"], "{\"by\": \"test\"}");

    let r = c.send(Method::GET, OFFLINE, None).await;
    assert_eq!(
        r.body,
        json!({depot.clone(): {"description": "uploaded bundle", "source_type": "PUSH",
            "file_id": file_id, "owner": ADMIN, "ownerdata": "{\"by\": \"test\"}"}})
    );
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{depot}/content"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, expected_content(&zip));
    assert!(r.body["metadata_bundles"].as_object().unwrap().len() >= 2);

    // Every file of the depot is a stored blob it references; the upload is used and
    // no longer holds the zip.
    let id = depot.parse().unwrap();
    let files = c.t.app.store.offline_depot_files(id).await.unwrap();
    assert!(files.iter().any(|f| f.path == "index.xml"));
    let vibs = files.iter().filter(|f| f.path.starts_with("vib20/"));
    assert_eq!(vibs.count(), 7);
    for f in &files {
        assert_eq!(
            c.t.app.blobs.stat(&f.digest).await.unwrap(),
            Some(f.size),
            "{}",
            f.path
        );
    }
    let upload =
        c.t.app
            .store
            .get_upload(file_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(upload.used_by.as_deref(), Some(depot.as_str()));
    c.collect_garbage().await;
    assert_eq!(
        c.t.app.blobs.stat(&upload.digest).await.unwrap(),
        None,
        "the zip is gone"
    );
    assert!(
        c.t.app
            .blobs
            .stat(&files[0].digest)
            .await
            .unwrap()
            .is_some()
    );

    // The same upload cannot be imported twice.
    let r = c.create(&push(&file_id)).await.unwrap_err();
    assert_eq!(r.body["error_type"], "INVALID_ARGUMENT", "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_content_again_is_already_exists_with_the_depot() {
    let c = Client::new(|_| {}).await;
    let zip = bundle().build();
    let depot = c.import(&push(&c.upload(&zip).await)).await;

    // The same bytes under another file id: refused up front.
    let r = c.create(&push(&c.upload(&zip).await)).await.unwrap_err();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error_type"], "ALREADY_EXISTS", "{}", r.text);
    assert_eq!(r.body["data"], json!({"depot": depot}));
    assert_eq!(
        r.body["messages"][0]["id"],
        "com.vmware.vcIntegrity.lifecycle.depots.offline.AlreadyExists"
    );

    // Re-zipped (other bytes, same metadata): the task fails with the depot in data.
    let rezipped = bundle().deflate_payloads().build();
    assert_ne!(rezipped, zip);
    let error = c.failed(&push(&c.upload(&rezipped).await)).await;
    assert_eq!(error["error_type"], "ALREADY_EXISTS", "{error}");
    assert_eq!(error["data"], json!({"depot": depot}));
    assert_eq!(c.depot_count().await, 1);

    // Over JSON-RPC the refusal carries the data as a dynamic structure.
    let file_id = c.upload(&zip).await;
    let input = json!({"STRUCTURE": {"operation-input": {"spec": {"STRUCTURE": {
        "com.vmware.esx.settings.depots.offline.create_spec": {
            "source_type": "PUSH", "file_id": {"OPTIONAL": file_id}}}}}}});
    let r = rpc(
        &c,
        "com.vmware.esx.settings.depots.offline",
        "create$task",
        &input,
    )
    .await;
    let error = &r["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.already_exists"];
    assert_eq!(
        error["data"]["OPTIONAL"]["STRUCTURE"]["com.vmware.vapi.dynamic_struct"]["depot"],
        depot.as_str(),
        "{r}"
    );
}

async fn rpc(c: &Client, service: &str, operation: &str, input: &Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {
        "serviceId": service, "operationId": operation, "input": input,
        "ctx": {"appCtx": {"opId": "t"}, "securityCtx": {
            "schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": c.sid}}}});
    let r =
        c.t.send(Method::POST, "/api", &[], Some(&body.to_string()))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_task_over_json_rpc_gives_a_typed_result() {
    let c = Client::new(|_| {}).await;
    let file_id = c.upload(&bundle().build()).await;
    let input = json!({"STRUCTURE": {"operation-input": {"spec": {"STRUCTURE": {
        "com.vmware.esx.settings.depots.offline.create_spec": {
            "source_type": "PUSH", "file_id": {"OPTIONAL": file_id},
            "description": {"OPTIONAL": null}, "location": {"OPTIONAL": null},
            "ownerdata": {"OPTIONAL": null}, "authentication_spec": {"OPTIONAL": null}}}}}}});
    let r = rpc(
        &c,
        "com.vmware.esx.settings.depots.offline",
        "create$task",
        &input,
    )
    .await;
    let task = r["result"]["output"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    c.t.app.services.tasks.run_pending().await.unwrap();
    let get = json!({"STRUCTURE": {"operation-input": {"task": task, "spec": {"OPTIONAL": null}}}});
    let r = rpc(&c, "com.vmware.cis.tasks", "get", &get).await;
    let info = &r["result"]["output"]["STRUCTURE"]["com.vmware.cis.task.info"];
    assert_eq!(info["status"], "SUCCEEDED", "{r}");
    let result = &info["result"]["OPTIONAL"]["STRUCTURE"]["com.vmware.esx.settings.depots.offline.create_result"];
    let depot = result["depot"].as_str().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        c.t.app.store.list_offline_depots().await.unwrap()[0]
            .id
            .to_string(),
        depot
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_specs_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let import = dir.path().join("import");
    std::fs::create_dir(&import).unwrap();
    std::fs::write(dir.path().join("outside.zip"), bundle().build()).unwrap();
    let import_dir = import.clone();
    let c = Client::new(move |config| config.esx.import_dir = Some(import_dir)).await;
    let outside = format!("file://{}", dir.path().join("outside.zip").display());
    let escape = format!("file://{}/../outside.zip", import.display());
    for spec in [
        json!({"source_type": "PUSH"}),
        json!({"source_type": "PULL"}),
        push("c1f9e6b2-0d5c-4c3e-8a52-6f1f0c7e9a10"),
        push("not-a-file-id"),
        pull("ftp://depot.example.com/a.zip"),
        pull("depot.example.com/a.zip"),
        pull(&outside),
        pull(&escape),
    ] {
        let r = c.create(&spec).await.expect_err("refused");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{spec}: {}", r.text);
        assert_eq!(
            r.body["error_type"], "INVALID_ARGUMENT",
            "{spec}: {}",
            r.text
        );
    }
    let tasks = c.send(Method::GET, "/api/cis/tasks", None).await;
    assert_eq!(tasks.body, json!({}), "no task was created");
    c.nothing_imported().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_under_the_import_dir_is_pulled() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle().build();
    std::fs::write(dir.path().join("depot one.zip"), &zip).unwrap();
    let import_dir = dir.path().to_path_buf();
    let c = Client::new(move |config| config.esx.import_dir = Some(import_dir)).await;
    let location = format!("file://{}/depot%20one.zip", dir.path().display());
    let depot = c.import(&pull(&location)).await;
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{depot}"), None)
        .await;
    assert_eq!(r.body["source_type"], "PULL");
    assert_eq!(r.body["location"], location.as_str());
    assert!(r.body.get("file_id").is_none());
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{depot}/content"), None)
        .await;
    assert_eq!(r.body, expected_content(&zip));
}

/// A response body that never ends.
struct Endless;

impl http_body::Body for Endless {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let chunk = axum::body::Bytes::from(vec![0x50; 64 * 1024]);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }
}

/// A loopback web server: `/bundle.zip` (needing `X-Depot-Token: s3cret` when
/// `token`), `/endless.zip` (a body that never ends); anything else 404.
pub(crate) async fn web_server(zip: Vec<u8>, token: bool) -> String {
    use axum::routing::get;
    let zip = std::sync::Arc::new(zip);
    let app = axum::Router::new()
        .route(
            "/bundle.zip",
            get(move |headers: HeaderMap| {
                let zip = std::sync::Arc::clone(&zip);
                async move {
                    let allowed = !token
                        || headers.get("x-depot-token").and_then(|v| v.to_str().ok())
                            == Some("s3cret");
                    if allowed {
                        (StatusCode::OK, zip.to_vec())
                    } else {
                        (StatusCode::UNAUTHORIZED, Vec::new())
                    }
                }
            }),
        )
        .route("/endless.zip", get(|| async { Body::new(Endless) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_is_pulled_over_http_with_header_auth() {
    let zip = bundle().build();
    let c = Client::new(|config| config.esx.upload_max_bytes = 4 << 20).await;
    let base = web_server(zip.clone(), true).await;

    // Without the header: 401, the task fails and nothing is stored.
    let error = c.failed(&pull(&format!("{base}/bundle.zip"))).await;
    assert_eq!(error["error_type"], "INVALID_ARGUMENT", "{error}");
    assert!(
        error["messages"][0]["default_message"]
            .as_str()
            .unwrap()
            .contains("401"),
        "{error}"
    );
    c.nothing_imported().await;
    // 404, an endless body (over the size cap), an unreachable host.
    for location in [
        format!("{base}/missing.zip"),
        format!("{base}/endless.zip"),
        "http://127.0.0.1:9/bundle.zip".to_owned(),
    ] {
        let error = c.failed(&pull(&location)).await;
        assert!(
            ["INVALID_ARGUMENT", "SERVICE_UNAVAILABLE"]
                .contains(&error["error_type"].as_str().unwrap()),
            "{location}: {error}"
        );
        c.nothing_imported().await;
    }

    // With the header it imports; plain HTTP is warned about in the task's messages.
    let mut spec = pull(&format!("{base}/bundle.zip"));
    spec["authentication_spec"] = json!({"method": "HEADER_AUTH",
        "authentication_key": "X-Depot-Token", "authentication_value": "s3cret"});
    let task = c
        .create(&spec)
        .await
        .unwrap_or_else(|r| panic!("{}", r.text));
    let info = c.finish(&task).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    let stored =
        c.t.app
            .store
            .get_task(task.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(
        stored
            .messages
            .iter()
            .any(|m| m.message.default.contains("plain HTTP")),
        "{:?}",
        stored.messages
    );
    assert!(
        !stored.payload.to_string().contains("s3cret"),
        "the header value is sealed"
    );
    let depot = info["result"]["depot"].as_str().unwrap().to_owned();
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{depot}/content"), None)
        .await;
    assert_eq!(r.body, expected_content(&zip));

    // The same bundle again by URL: AlreadyExists as the task's error.
    let error = c.failed(&spec).await;
    assert_eq!(error["error_type"], "ALREADY_EXISTS", "{error}");
    assert_eq!(error["data"], json!({"depot": depot}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_record_and_delete_task_the_content() {
    let c = Client::new(|_| {}).await;
    let first = c.import(&push(&c.upload(&bundle().build()).await)).await;
    let second = c
        .import(&push(&c.upload(&bundle().seed(7).build()).await))
        .await;

    // The synchronous delete: 204, the record is gone.
    let r = c
        .send(Method::DELETE, &format!("{OFFLINE}/{first}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{first}"), None)
        .await;
    assert_eq!(r.body["error_type"], "NOT_FOUND", "{}", r.text);

    // delete$task while a download holds the depot: ResourceInUse; with force it goes.
    let id = second.parse().unwrap();
    let files = c.t.app.store.offline_depot_files(id).await.unwrap();
    let guard = c.t.app.esx_depots.in_use().hold(id);
    let uri = format!("{OFFLINE}/{second}?vmw-task=true");
    let r = c.send(Method::DELETE, &uri, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "RESOURCE_IN_USE", "{}", r.text);
    let r = c
        .send(Method::DELETE, &uri, Some(&json!({"force": true})))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let info = c.finish(r.body.as_str().unwrap()).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    assert_eq!(info["result"], json!({"notifications": {}}));
    drop(guard);
    assert_eq!(c.depot_count().await, 0);
    c.collect_garbage().await;
    for f in &files {
        assert_eq!(
            c.t.app.blobs.stat(&f.digest).await.unwrap(),
            None,
            "{}",
            f.path
        );
    }
    let r = c.send(Method::DELETE, &uri, None).await;
    assert_eq!(r.body["error_type"], "NOT_FOUND", "{}", r.text);
}
