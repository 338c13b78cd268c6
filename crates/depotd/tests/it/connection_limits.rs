//! The `[http]` limits over real connections, with short limits: each attack (a head
//! sent a byte at a time, a silent or idle connection, a half-sent body, a client that
//! stops reading, more connections than the cap) is cut within its limit, while honest
//! slow clients (a steady upload, a reader at 256 KiB/s) are not.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::Method;
use depot_blobs::Expected;
use depot_http::linger::Budget;
use depot_metadata::{DepotSyncApplied, DepotSyncApply};
use depot_model::{DepotFile, SyncOutcome, SyncRecord, TaskId};
use depotd::config::HttpConfig;
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

const SECOND: Duration = Duration::from_secs(1);
/// The file streamed to readers: big enough that most of it waits behind the socket
/// buffers (the reader's is kept small) while they read.
const BIG_FILE: &str = "PROD/COMP/big.bin";
const BIG_SIZE: usize = 8 << 20;

/// Limits short enough to test: 2 s heads, 2 s idle, 1 KiB per 1 s window for bodies,
/// 2 s for a response nobody reads.
fn short(http: &mut HttpConfig) {
    http.header_read_timeout = 2 * SECOND;
    http.idle_timeout = 2 * SECOND;
    http.body_min_rate_bytes = 1024;
    http.body_rate_window = SECOND;
    http.send_timeout = 2 * SECOND;
    http.max_h2_streams = 7;
}

/// The real server (router, layers, accept loop) on a free port.
struct Served {
    t: TestApp,
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Served {
    async fn start(tweak: impl FnOnce(&mut HttpConfig)) -> Self {
        Self::start_with(tweak, false).await
    }

    async fn start_with(tweak: impl FnOnce(&mut HttpConfig), tls: bool) -> Self {
        let t = TestApp::with(
            |c| {
                short(&mut c.http);
                tweak(&mut c.http);
                c.downstream.anonymous = true;
            },
            Vec::new(),
        )
        .await;
        let tls = tls.then(|| {
            let dir = t.app.config.data_dir.clone();
            let files = depotd::tls::resolve(&dir, None, None).unwrap();
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

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    /// A connection whose receive buffer is small, so that what the client does not
    /// read stays on the server's side.
    async fn connect_small_window(&self) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        socket.connect(self.addr).await.unwrap()
    }

    /// Publishes [`BIG_FILE`] in the downstream depot; returns its content.
    async fn publish_big_file(&self) -> Vec<u8> {
        let content: Vec<u8> = (0..BIG_SIZE)
            .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[1])
            .collect();
        let info = self
            .t
            .app
            .blobs
            .put(&mut content.as_slice(), Expected::default())
            .await
            .unwrap();
        let now = depot_model::now();
        let apply = DepotSyncApply {
            catalog: None,
            files: vec![DepotFile {
                path: BIG_FILE.to_owned(),
                digest: info.digest,
                size: info.size,
                modified_at: now,
                upstream_etag: None,
                upstream_last_modified: None,
            }],
            record: SyncRecord {
                task_id: TaskId::new(),
                outcome: SyncOutcome::Succeeded,
                error_message: None,
                completed_at: now,
                last_success_at: Some(now),
            },
        };
        let applied = self.t.app.store.apply_depot_sync(&apply).await.unwrap();
        assert_eq!(applied, DepotSyncApplied::Applied(None));
        content
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.now();
    }
}

/// An answer's head, and the body bytes read with it.
#[derive(Debug)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
    rest: Vec<u8>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length").unwrap().parse().unwrap()
    }
}

/// Reads an answer's head; `None` when the connection ends first.
async fn read_head(stream: &mut TcpStream) -> Option<Head> {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let text = String::from_utf8(buf[..end].to_vec()).unwrap();
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Some(Head {
        status,
        headers,
        rest: buf[end + 4..].to_vec(),
    })
}

/// Reads the rest of an answer's body of `length` bytes.
async fn read_body(stream: &mut TcpStream, head: &Head, length: usize) -> Vec<u8> {
    let mut body = head.rest.clone();
    body.resize(length, 0);
    stream
        .read_exact(&mut body[head.rest.len()..])
        .await
        .unwrap();
    body
}

/// Reads (and drops) whatever comes until the server ends the connection (EOF or
/// reset), at most `limit`; returns the bytes read and how long it took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> (usize, Duration) {
    let started = Instant::now();
    let mut read = 0;
    let ended = tokio::time::timeout(limit, async {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server kept the connection past {limit:?}"
    );
    (read, started.elapsed())
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_at_the_header_timeout() {
    let served = Served::start(|_| {}).await;
    let (mut reader, mut writer) = served.connect().await.into_split();
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(200)
    );
    tokio::spawn(async move {
        for byte in head.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(10 * SECOND, reader.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "still open after {:?}", started.elapsed());
    assert!(
        answer.is_empty(),
        "answered: {}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let served = Served::start(|_| {}).await;
    let mut stream = served.connect().await;
    let (read, _) = closed_within(&mut stream, 10 * SECOND).await;
    assert_eq!(read, 0);
}

#[tokio::test]
async fn a_tls_connection_that_never_shakes_hands_is_closed() {
    let served = Served::start_with(|_| {}, true).await;
    let mut stream = served.connect().await;
    let (read, _) = closed_within(&mut stream, 10 * SECOND).await;
    assert_eq!(read, 0);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let served = Served::start(|_| {}).await;
    let mut stream = served.connect().await;
    // Kept alive: a second request half a second later is served on it.
    for _ in 0..2 {
        stream.write_all(HEALTH).await.unwrap();
        let head = read_head(&mut stream).await.expect("an answer");
        assert_eq!(head.status, 200, "{head:?}");
        read_body(&mut stream, &head, head.content_length()).await;
        tokio::time::sleep(SECOND / 2).await;
    }
    let (read, _) = closed_within(&mut stream, 10 * SECOND).await;
    assert_eq!(read, 0);
}

#[tokio::test]
async fn a_half_sent_body_is_answered_408_and_closed() {
    let served = Served::start(|_| {}).await;
    let mut stream = served.connect().await;
    let head = "POST /v1/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 100000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(br#"{"username": "administrator"#)
        .await
        .unwrap();
    let answer = tokio::time::timeout(10 * SECOND, read_head(&mut stream))
        .await
        .expect("an answer in time")
        .expect("an answer before the close");
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"), "{answer:?}");
    let body: Value =
        serde_json::from_slice(&read_body(&mut stream, &answer, answer.content_length()).await)
            .unwrap();
    assert_eq!(body["errorCode"], "REQUEST_TIMEOUT", "{body}");
    closed_within(&mut stream, 10 * SECOND).await;
}

#[tokio::test]
async fn a_slow_but_steady_upload_passes() {
    let served = Served::start(|_| {}).await;
    // 12 KiB at 2 KiB/s (twice the minimum) over six windows.
    let mut body = json!({"username": ADMIN, "password": ADMIN_PASSWORD}).to_string();
    body.push_str(&" ".repeat(12 * 1024 - body.len()));
    let mut stream = served.connect().await;
    let head = format!(
        "POST /v1/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(512) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(SECOND / 4).await;
    }
    let answer = read_head(&mut stream).await.expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    let body: Value =
        serde_json::from_slice(&read_body(&mut stream, &answer, answer.content_length()).await)
            .unwrap();
    assert!(body["accessToken"].is_string(), "{body}");
}

#[tokio::test]
async fn a_reader_at_256_kib_per_second_is_never_cut_off() {
    let served = Served::start(|_| {}).await;
    let content = served.publish_big_file().await;
    let mut stream = served.connect_small_window().await;
    let request = format!("GET /depot/{BIG_FILE} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut stream).await.expect("an answer");
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.content_length(), BIG_SIZE);
    // 16 KiB every 1/16 s: 32 s for the file, 16 times the send timeout.
    let mut received = head.rest.clone();
    let mut tick = tokio::time::interval(SECOND / 16);
    while received.len() < BIG_SIZE {
        tick.tick().await;
        let mut chunk = vec![0u8; (16 * 1024).min(BIG_SIZE - received.len())];
        stream
            .read_exact(&mut chunk)
            .await
            .unwrap_or_else(|e| panic!("cut off after {} bytes: {e}", received.len()));
        received.extend_from_slice(&chunk);
    }
    assert!(received == content, "the file arrived changed");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_send_timeout() {
    let served = Served::start(|_| {}).await;
    served.publish_big_file().await;
    let mut stream = served.connect_small_window().await;
    let request = format!("GET /depot/{BIG_FILE} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut stream).await.expect("an answer");
    assert_eq!(head.status, 200, "{head:?}");
    // Reads nothing for twice the send timeout (and the watchdog's second), then all
    // that was sent: the server gave up before the end.
    tokio::time::sleep(5 * SECOND).await;
    let (read, _) = closed_within(&mut stream, 10 * SECOND).await;
    let total = head.rest.len() + read;
    assert!(total < BIG_SIZE, "the whole file was sent ({total} bytes)");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_a_slot_frees() {
    let served = Served::start(|http| http.max_connections = 2).await;
    let silent = [served.connect().await, served.connect().await];
    // Both slots are held: the third connection is not even accepted yet.
    let mut third = served.connect().await;
    third.write_all(HEALTH).await.unwrap();
    let early = tokio::time::timeout(SECOND / 2, read_head(&mut third)).await;
    assert!(early.is_err(), "answered past the cap: {early:?}");
    // The silent ones are closed at the header timeout, and the third is served.
    let answer = tokio::time::timeout(10 * SECOND, read_head(&mut third))
        .await
        .expect("served once a slot freed")
        .expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    drop(silent);
}

#[tokio::test]
async fn http2_connections_are_told_the_stream_cap() {
    let served = Served::start(|_| {}).await;
    let mut stream = served.connect().await;
    // The client preface and an empty SETTINGS frame (HTTP/2 over cleartext).
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).await.unwrap();
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    assert_eq!(header[3], 4, "the server's first frame is SETTINGS");
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.unwrap();
    let max_streams = payload
        .chunks(6)
        .find(|s| s[..2] == [0, 3])
        .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]));
    assert_eq!(max_streams, Some(7), "{payload:?}");
}

#[tokio::test]
async fn made_up_methods_and_raw_paths_add_no_metric_series() {
    let t = TestApp::new().await;
    let method = format!("X{}", "Y".repeat(4000));
    let mut sent = Vec::new();
    for i in 0..5 {
        let task = format!("made-up-task-{i}");
        let path = format!("/v1/product-version-catalogs/upload-tasks/{task}");
        let made_up = Method::from_bytes(format!("{method}{i}").as_bytes()).unwrap();
        t.send(made_up, &path, &[], None).await;
        let unknown = format!("/no-such-route-{i}/x");
        t.send(Method::GET, &unknown, &[], None).await;
        sent.extend([task, unknown]);
    }
    let metrics = t.send(Method::GET, "/metrics", &[], None).await.text;
    assert!(!metrics.contains("YYYY"), "a made-up method became a label");
    for raw in &sent {
        assert!(!metrics.contains(raw.as_str()), "{raw} became a label");
    }
    for label in [
        r#"method="OTHER""#,
        r#"route="/v1/product-version-catalogs/upload-tasks/{task_id}""#,
        r#"route="unmatched""#,
    ] {
        assert!(metrics.contains(label), "no {label} in:\n{metrics}");
    }
}
