//! Uploads over real connections, with the `[http]` body-rate floor short: a slow but
//! steady upload passes, a stalled or cut-off one stores nothing and can be retried,
//! two concurrent uploads of one file cannot both run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use depot_http::linger::Budget;
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};
use crate::update_sessions::{add_push, file, item, open, put};

const SECOND: Duration = Duration::from_secs(1);

struct Served {
    t: TestApp,
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Served {
    async fn start() -> Self {
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
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let router = server::router(&t.app, Budget::DEFAULT);
        let limits = t.app.config.http.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { server::serve(listener, None, router, &limits, stop).await });
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
    assert!(status.is_ok(), "the stalled upload was answered");
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
