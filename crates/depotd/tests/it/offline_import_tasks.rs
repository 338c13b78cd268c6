//! The import task as a task: who may start it (`VcIntegrity.lifecycleSettings.Write`,
//! over REST and JSON-RPC), its progress while it runs (a percentage that moves from 0
//! to 100), and a cancel while it runs (the task ends `CANCELED`, nothing is stored).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode};
use depot_model::Role;
use serde_json::{Value, json};

use crate::offline_depots::{Client, OFFLINE, bundle, pull, push};

const READER: &str = "reader@vsphere.local";
const READER_PASSWORD: &str = "Reader!23-test";

/// A response body that sends `data` in `chunks` pieces, the first at once and then
/// one every `delay`, with its length known up front (so the client knows the total).
struct Trickle {
    data: Bytes,
    piece: usize,
    delay: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Trickle {
    fn new(data: Bytes, chunks: usize, delay: Duration) -> Self {
        let piece = data.len().div_ceil(chunks);
        Self {
            data,
            piece,
            delay,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl http_body::Body for Trickle {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let deadline = tokio::time::Instant::now() + self.delay;
        self.sleep.as_mut().reset(deadline);
        let n = self.piece.min(self.data.len());
        let chunk = self.data.split_to(n);
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.len() as u64)
    }
}

/// Serves `zip` at `/slow.zip` in `chunks` pieces `delay` apart; the URL.
async fn slow_server(zip: Vec<u8>, chunks: usize, delay: Duration) -> String {
    let zip = Bytes::from(zip);
    let app = axum::Router::new().route(
        "/slow.zip",
        axum::routing::get(move || {
            let zip = zip.clone();
            async move { Body::new(Trickle::new(zip, chunks, delay)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/slow.zip")
}

/// Starts `create$task` for `spec` and runs the task engine in the background; the
/// task id and the engine's run.
async fn start(
    c: &Client,
    spec: &Value,
) -> (
    String,
    tokio::task::JoinHandle<Result<usize, depot_tasks::EngineError>>,
) {
    let task = c
        .create(spec)
        .await
        .unwrap_or_else(|r| panic!("{}", r.text));
    let engine = Arc::clone(&c.t.app.services.tasks);
    let running = tokio::spawn(async move { engine.run_pending().await });
    (task, running)
}

async fn task_info(c: &Client, task: &str) -> Value {
    let r = c
        .send(Method::GET, &format!("/api/cis/tasks/{task}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_user_reads_depots_but_cannot_import_or_delete() {
    let c = Client::new(|_| {}).await;
    let depot = c.import(&push(&c.upload(&bundle().build()).await)).await;
    let file_id = c.upload(&bundle().seed(3).build()).await;
    c.t.add_user(READER, Role::ReadOnly, READER_PASSWORD).await;
    let reader = c.t.vsphere_session(READER, READER_PASSWORD).await;
    let as_reader = |method: Method, uri: String, body: Option<Value>| {
        let t = &c.t;
        let reader = reader.clone();
        async move {
            let body = body.map(|b| b.to_string());
            t.send(
                method,
                &uri,
                &[("vmware-api-session-id", &reader)],
                body.as_deref(),
            )
            .await
        }
    };

    for uri in [
        OFFLINE.to_owned(),
        format!("{OFFLINE}/{depot}"),
        format!("{OFFLINE}/{depot}/content"),
    ] {
        let r = as_reader(Method::GET, uri.clone(), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
    }
    let r = as_reader(Method::GET, OFFLINE.to_owned(), None).await;
    assert!(r.body.get(&depot).is_some(), "{}", r.text);

    for (method, uri, body) in [
        (
            Method::POST,
            format!("{OFFLINE}?vmw-task=true"),
            Some(push(&file_id)),
        ),
        (
            Method::DELETE,
            format!("{OFFLINE}/{depot}?vmw-task=true"),
            None,
        ),
        (Method::DELETE, format!("{OFFLINE}/{depot}"), None),
    ] {
        let r = as_reader(method.clone(), uri.clone(), body).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            r.text
        );
        assert_eq!(r.body["error_type"], "UNAUTHORIZED", "{method} {uri}");
    }

    // JSON-RPC: the same refusal as a vAPI error.
    let input = json!({"STRUCTURE": {"operation-input": {"spec": {"STRUCTURE": {
        "com.vmware.esx.settings.depots.offline.create_spec": {
            "source_type": "PUSH", "file_id": {"OPTIONAL": file_id}}}}}}});
    let body = json!({"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {
        "serviceId": "com.vmware.esx.settings.depots.offline", "operationId": "create$task",
        "input": input, "ctx": {"appCtx": {}, "securityCtx": {
            "schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": reader}}}});
    let r =
        c.t.send(Method::POST, "/api", &[], Some(&body.to_string()))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let error = r.body["result"]["error"]["ERROR"]
        .as_object()
        .unwrap_or_else(|| panic!("{}", r.text));
    assert!(
        error.contains_key("com.vmware.vapi.std.errors.unauthorized"),
        "{}",
        r.text
    );

    // Nothing happened: one depot, one task (the admin's import), the upload unused.
    let r = c.send(Method::GET, OFFLINE, None).await;
    assert_eq!(r.body.as_object().unwrap().len(), 1, "{}", r.text);
    let tasks = c.send(Method::GET, "/api/cis/tasks", None).await;
    assert_eq!(tasks.body.as_object().unwrap().len(), 1, "{}", tasks.text);
    let upload =
        c.t.app
            .store
            .get_upload(file_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(upload.used_by.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reports_a_progress_that_moves_from_0_to_100() {
    let c = Client::new(|_| {}).await;
    let zip = bundle().build();
    let url = slow_server(zip, 12, Duration::from_millis(150)).await;
    let (task, running) = start(&c, &pull(&url)).await;

    let mut seen = Vec::new();
    while !running.is_finished() {
        let info = task_info(&c, &task).await;
        if info["status"] == "RUNNING" {
            let progress = &info["progress"];
            assert_eq!(progress["total"], 100, "{info}");
            seen.push(progress["completed"].as_u64().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.await.unwrap().unwrap();
    let info = task_info(&c, &task).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
    assert_eq!(info["progress"]["completed"], 100, "{info}");
    assert_eq!(info["progress"]["total"], 100, "{info}");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "never backwards: {seen:?}"
    );
    assert!(
        seen.iter().any(|p| (1..50).contains(p)),
        "the download's share moved: {seen:?}"
    );
    let message = info["progress"]["message"]["default_message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("bytes"), "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_import_is_canceled_and_stores_nothing() {
    let c = Client::new(|_| {}).await;
    // Two pieces a minute apart: the download is under way until canceled.
    let url = slow_server(bundle().build(), 2, Duration::from_mins(1)).await;
    let (task, running) = start(&c, &pull(&url)).await;
    let mut started = false;
    for _ in 0..200 {
        let info = task_info(&c, &task).await;
        if info["status"] == "RUNNING" && info["progress"]["completed"].as_u64() > Some(0) {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(started, "the download did not start");
    let r = c
        .send(
            Method::POST,
            &format!("/api/cis/tasks/{task}?action=cancel"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the cancel stops the import")
        .unwrap()
        .unwrap();
    let info = task_info(&c, &task).await;
    assert_eq!(info["status"], "FAILED", "{info}");
    assert_eq!(info["error"]["error_type"], "CANCELED", "{info}");
    c.nothing_imported().await;
    assert!(
        c.t.app.blobs.list().await.unwrap().is_empty(),
        "the partial download is not stored"
    );
    assert!(c.t.app.store.blob_references().await.unwrap().is_empty());
}
