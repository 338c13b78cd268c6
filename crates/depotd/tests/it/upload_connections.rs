//! Uploads over real connections, with the `[http]` body-rate floor short: a slow but
//! steady upload passes, a stalled or cut-off one stores nothing and can be retried,
//! two concurrent uploads of one file cannot both run; PULL files are fetched over
//! HTTPS from the server's own download endpoint, with a pinned certificate.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use depot_http::linger::Budget;
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};
use crate::update_sessions::{US, add_push, api, file, item, open, put, upload_complete};

const SECOND: Duration = Duration::from_secs(1);

struct Served {
    t: TestApp,
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Served {
    async fn start() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(tls: bool) -> Self {
        let t = TestApp::with(
            |c| {
                c.http.body_min_rate_bytes = 16 * 1024;
                c.http.body_rate_window = SECOND;
                c.http.header_read_timeout = 2 * SECOND;
                c.http.idle_timeout = 2 * SECOND;
            },
            Vec::new(),
        )
        .await;
        // Pull tasks run on the engine's workers.
        t.app.services.tasks.start();
        let tls = tls.then(|| {
            let files = depotd::tls::resolve(&t.app.config.data_dir, None, None).unwrap();
            depotd::tls::server_config(&files).unwrap()
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let router = server::router(&t.app, Budget::DEFAULT);
        let limits = t.app.config.http.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { server::serve(listener, tls, router, &limits, stop).await });
        Self { t, addr, shutdown }
    }

    /// Opens a session with one PUSH file of `size`; returns (session id, session,
    /// upload path).
    async fn session_with_file(&self, size: usize) -> (String, String, String) {
        let sid = self.t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
        let session = open(&self.t, &sid, item(&self.t, None).await).await;
        let path = add_push(
            &self.t,
            &sid,
            &session,
            json!({"name": "big.bin", "source_type": "PUSH", "size": size}),
        )
        .await;
        (sid, session, path)
    }

    /// Sends a PUT head for `path` with `length`; returns the connection.
    async fn put_head(&self, path: &str, length: usize) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {length}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
    }

    async fn status_of(&self, sid: &str, session: &str) -> Value {
        file(&self.t, sid, session, "big.bin").await
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.now();
    }
}

/// The status code of the answer on `stream`.
async fn answer_status(stream: &mut TcpStream) -> u16 {
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed without an answer");
        got.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&got);
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Waits until the file's status is `status` (the server records it after the
/// request ends).
async fn wait_for(served: &Served, sid: &str, session: &str, status: &str) -> Value {
    let deadline = Instant::now() + 10 * SECOND;
    loop {
        let info = served.status_of(sid, session).await;
        if info["status"] == status {
            return info;
        }
        assert!(Instant::now() < deadline, "never {status}: {info}");
        tokio::time::sleep(SECOND / 10).await;
    }
}

#[tokio::test]
async fn a_slow_but_steady_upload_passes_and_shows_progress() {
    let served = Served::start().await;
    let size = 3 << 20;
    let (sid, session, path) = served.session_with_file(size).await;
    let mut stream = served.put_head(&path, size).await;
    // 1 MiB/s (64 times the floor) for three seconds, in quarter-second pieces.
    let piece = vec![5u8; 256 * 1024];
    let mut saw_progress = false;
    for i in 0..12 {
        stream.write_all(&piece).await.unwrap();
        tokio::time::sleep(SECOND / 4).await;
        if i == 8 {
            let info = served.status_of(&sid, &session).await;
            assert_eq!(info["status"], "TRANSFERRING", "{info}");
            saw_progress = info["bytes_transferred"].as_u64().unwrap() > 0;
        }
    }
    assert_eq!(answer_status(&mut stream).await, 200);
    assert!(saw_progress, "bytes_transferred grows during the upload");
    let info = served.status_of(&sid, &session).await;
    assert_eq!(
        (info["status"].as_str(), info["bytes_transferred"].as_u64()),
        (Some("READY"), Some(size as u64))
    );
}

#[tokio::test]
async fn a_cut_off_upload_stores_nothing_and_a_retry_works() {
    let served = Served::start().await;
    let size = 100_000;
    let (sid, session, path) = served.session_with_file(size).await;
    let mut stream = served.put_head(&path, size).await;
    stream.write_all(&vec![1u8; 10_000]).await.unwrap();
    tokio::time::sleep(SECOND / 2).await;
    drop(stream);
    let info = wait_for(&served, &sid, &session, "WAITING_FOR_TRANSFER").await;
    assert_eq!(info["bytes_transferred"], 0, "{info}");
    assert!(
        served
            .t
            .app
            .store
            .blob_references()
            .await
            .unwrap()
            .is_empty()
    );
    let r = put(&served.t, &path, &vec![1u8; size]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_stalled_upload_is_ended_and_its_file_waits_again() {
    let served = Served::start().await;
    let size = 100_000;
    let (sid, session, path) = served.session_with_file(size).await;
    let started = Instant::now();
    let mut stream = served.put_head(&path, size).await;
    stream.write_all(&vec![1u8; 20_000]).await.unwrap();
    // Nothing more: the rate floor ends the request.
    let status = tokio::time::timeout(10 * SECOND, answer_status(&mut stream)).await;
    assert_eq!(
        status,
        Ok(408),
        "the stalled upload is answered as timed out"
    );
    assert!(started.elapsed() < 10 * SECOND);
    wait_for(&served, &sid, &session, "WAITING_FOR_TRANSFER").await;
    assert_eq!(
        put(&served.t, &path, &vec![1u8; size]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn of_two_concurrent_uploads_of_one_file_one_is_refused() {
    let served = Served::start().await;
    let size = 200_000;
    let (sid, session, path) = served.session_with_file(size).await;
    let mut first = served.put_head(&path, size).await;
    first.write_all(&vec![3u8; 100_000]).await.unwrap();
    wait_for(&served, &sid, &session, "TRANSFERRING").await;
    let second = put(&served.t, &path, &vec![4u8; size]).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    first.write_all(&vec![3u8; 100_000]).await.unwrap();
    assert_eq!(answer_status(&mut first).await, 200);
    let info = served.status_of(&sid, &session).await;
    assert_eq!(info["status"], "READY", "{info}");
}

/// A file of another item, prepared for download on the TLS server: its URL.
async fn source_url(served: &Served, sid: &str, content: &[u8]) -> String {
    let t = &served.t;
    let source = item(t, None).await;
    upload_complete(t, sid, source, "src.iso", content).await;
    let ds = "/api/content/library/item/download-session";
    let r = api(
        t,
        sid,
        Method::POST,
        ds,
        Some(json!({"library_item_id": source.to_string()})),
    )
    .await;
    let session = r.body.as_str().unwrap().to_owned();
    let p = api(
        t,
        sid,
        Method::POST,
        &format!("{ds}/{session}/file?action=prepare"),
        Some(json!({"file_name": "src.iso"})),
    )
    .await;
    let uri = p.body["download_endpoint"]["uri"].as_str().unwrap();
    let path = &uri[uri.find("/cls/download/").unwrap()..];
    format!("https://127.0.0.1:{}{path}", served.addr.port())
}

/// Adds a PULL file `name` from `endpoint` to a new session; returns the session.
async fn add_pull(served: &Served, sid: &str, name: &str, endpoint: Value) -> String {
    let t = &served.t;
    let session = open(t, sid, item(t, None).await).await;
    let r = api(
        t,
        sid,
        Method::POST,
        &format!("{US}/{session}/file"),
        Some(json!({"name": name, "source_type": "PULL", "source_endpoint": endpoint})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body.get("upload_endpoint").is_none(), "{}", r.body);
    session
}

#[tokio::test]
async fn a_pulled_file_is_fetched_over_https_with_its_pinned_certificate() {
    let served = Served::start_with(true).await;
    let sid = served.t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let content: Vec<u8> = (0..50_000u32)
        .map(|i| u8::try_from(i % 199).unwrap())
        .collect();
    let url = source_url(&served, &sid, &content).await;
    let cert = depotd::tls::resolve(&served.t.app.config.data_dir, None, None)
        .unwrap()
        .cert;
    let pin = depotd::tls::thumbprint(&cert).unwrap();
    let session = add_pull(
        &served,
        &sid,
        "copy.iso",
        json!({"uri": url, "ssl_certificate_thumbprint": pin}),
    )
    .await;
    let t = &served.t;
    let deadline = Instant::now() + 20 * SECOND;
    loop {
        let info = file(t, &sid, &session, "copy.iso").await;
        if info["status"] == "READY" {
            assert_eq!(info["bytes_transferred"], content.len());
            break;
        }
        assert_ne!(info["status"], "ERROR", "{info}");
        assert!(Instant::now() < deadline, "never READY: {info}");
        tokio::time::sleep(SECOND / 10).await;
    }
    let r = api(
        t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn pulls_from_a_wrong_certificate_or_an_unreachable_url_fail_the_file() {
    let served = Served::start_with(true).await;
    let sid = served.t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let url = source_url(&served, &sid, b"content").await;
    let wrong = vec!["AB"; 32].join(":");
    let session = add_pull(
        &served,
        &sid,
        "a.iso",
        json!({"uri": url, "ssl_certificate_thumbprint": wrong}),
    )
    .await;
    let info = wait_for_named(&served, &sid, &session, "a.iso", "ERROR").await;
    assert!(
        info["error_message"]["default_message"]
            .as_str()
            .unwrap()
            .contains("a.iso"),
        "{info}"
    );
    let session = add_pull(
        &served,
        &sid,
        "b.iso",
        json!({"uri": "https://127.0.0.1:1/b.iso"}),
    )
    .await;
    wait_for_named(&served, &sid, &session, "b.iso", "ERROR").await;
    let r = api(
        &served.t,
        &sid,
        Method::POST,
        &format!("{US}/{session}?action=complete"),
        None,
    )
    .await;
    assert_eq!(
        r.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE",
        "{}",
        r.text
    );
    // A source that is not an http(s) URL of a file is refused when added.
    let t = &served.t;
    let other = open(t, &sid, item(t, None).await).await;
    let r = api(t, &sid, Method::POST, &format!("{US}/{other}/file"),
        Some(json!({"name": "c", "source_type": "PULL", "source_endpoint": {"uri": "file:///etc/passwd"}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

async fn wait_for_named(
    served: &Served,
    sid: &str,
    session: &str,
    name: &str,
    status: &str,
) -> Value {
    let deadline = Instant::now() + 20 * SECOND;
    loop {
        let info = file(&served.t, sid, session, name).await;
        if info["status"] == status {
            return info;
        }
        assert!(Instant::now() < deadline, "never {status}: {info}");
        tokio::time::sleep(SECOND / 10).await;
    }
}
