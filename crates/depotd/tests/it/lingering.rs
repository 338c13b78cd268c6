//! Requests refused before their body was read, over a real connection: a client that
//! writes the whole body before reading (as Python `requests` does) still gets the
//! family's error answer with `Connection: close`, and the server spends no more than
//! its budget on the rest of the body.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use depot_http::linger::Budget;
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

const MIB: usize = 1 << 20;

/// The real router behind the server's layers, served over plain TCP on a free port.
struct Served {
    t: TestApp,
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Served {
    async fn start(budget: Budget) -> Self {
        let t = TestApp::new().await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let router = server::router(&t.app, budget);
        let limits = t.app.config.http.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { server::serve(listener, None, router, &limits, stop).await });
        Self { t, addr, shutdown }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.now();
    }
}

/// An answer read off the socket.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection") == Some("close")
    }
}

/// A request head with a `Content-Length`.
fn head(method: &str, path: &str, extra: &[(&str, &str)], length: usize) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n"
    );
    for (name, value) in extra {
        write!(head, "{name}: {value}\r\n").unwrap();
    }
    head.push_str("\r\n");
    head
}

/// `prefix`, then `x` up to `size` bytes, then `suffix`: one JSON document.
fn padded(prefix: &str, size: usize, suffix: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(prefix.as_bytes());
    body.resize(size - suffix.len(), b'x');
    body.extend_from_slice(suffix.as_bytes());
    body
}

/// Reads one answer (head and `Content-Length` body) off `reader`.
async fn read_answer(reader: &mut OwnedReadHalf) -> Answer {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let n = reader.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before an answer");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let status = StatusCode::from_u16(status.parse().unwrap()).unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = reader.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the answer's body");
        body.extend_from_slice(&chunk[..n]);
    }
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// Waits until the server ends the connection (EOF or reset), at most `limit`;
/// returns how long it took.
async fn closed_within(reader: &mut OwnedReadHalf, limit: Duration) -> Duration {
    let started = Instant::now();
    let ended = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server kept the connection past {limit:?}"
    );
    started.elapsed()
}

/// Writes the whole request before reading anything, as Python `requests` does, then
/// reads the answer and checks the server closes the connection after it.
async fn write_all_then_read(served: &Served, head: &str, body: &[u8]) -> Answer {
    let (mut reader, mut writer) = served.connect().await.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    writer
        .write_all(body)
        .await
        .expect("the server must read the whole body before it closes the connection");
    let answer = tokio::time::timeout(Duration::from_secs(30), read_answer(&mut reader))
        .await
        .expect("an answer");
    closed_within(&mut reader, Duration::from_secs(10)).await;
    answer
}

#[tokio::test]
async fn a_20_mib_json_rpc_request_gets_its_vapi_error() {
    let served = Served::start(Budget::DEFAULT).await;
    let prefix = r#"{"jsonrpc": "2.0", "id": "1", "method": "invoke", "params": {"serviceId": "com.vmware.cis.session", "operationId": "get", "input": {"STRUCTURE": {"operation-input": {}}}, "ctx": {"appCtx": {"x": ""#;
    let body = padded(prefix, 20 * MIB, r#""}}}}"#);
    let answer = write_all_then_read(
        &served,
        &head("POST", "/api", &[("vapi-service", "x")], body.len()),
        &body,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    assert_eq!(answer.body["jsonrpc"], "2.0", "{answer:?}");
    let error = answer.body["result"]["error"]["ERROR"]
        .as_object()
        .unwrap_or_else(|| panic!("no vAPI error in {answer:?}"));
    assert!(
        error.contains_key("com.vmware.vapi.std.errors.invalid_request"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_64_mib_rest_body_gets_its_413() {
    let served = Served::start(Budget::DEFAULT).await;
    let token = served.t.bearer(ADMIN, ADMIN_PASSWORD).await;
    let body = padded(r#"{"username": ""#, 64 * MIB, r#"", "password": "x"}"#);
    let cases = [
        ("POST", "/v1/tokens", None),
        ("PUT", "/v1/system/settings/depot", Some(token)),
    ];
    for (method, path, token) in cases {
        let auth = token.map(|t| format!("Bearer {t}"));
        let extra: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let answer =
            write_all_then_read(&served, &head(method, path, &extra, body.len()), &body).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
        assert!(answer.closes(), "{answer:?}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.body["errorCode"], "PAYLOAD_TOO_LARGE", "{answer:?}");
    }
}

#[tokio::test]
async fn a_large_unauthenticated_post_gets_its_401() {
    let served = Served::start(Budget::DEFAULT).await;
    let body = padded(r#"{"x": ""#, 32 * MIB, r#""}"#);
    for extra in [vec![], vec![("authorization", "Bearer expired-or-made-up")]] {
        let answer = write_all_then_read(
            &served,
            &head("PUT", "/v1/system/settings/depot", &extra, body.len()),
            &body,
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
        assert!(answer.closes(), "{answer:?}");
        assert!(answer.body["errorCode"].is_string(), "{answer:?}");
    }
}

#[tokio::test]
async fn a_body_read_in_full_keeps_the_connection() {
    let served = Served::start(Budget::DEFAULT).await;
    let (mut reader, mut writer) = served.connect().await.into_split();
    let cases = [
        (ADMIN_PASSWORD, StatusCode::OK),
        ("wrong password", StatusCode::UNAUTHORIZED),
        (ADMIN_PASSWORD, StatusCode::OK),
    ];
    for (password, status) in cases {
        let body = json!({"username": ADMIN, "password": password}).to_string();
        writer
            .write_all(head("POST", "/v1/tokens", &[], body.len()).as_bytes())
            .await
            .unwrap();
        writer.write_all(body.as_bytes()).await.unwrap();
        let answer = read_answer(&mut reader).await;
        assert_eq!(answer.status, status, "{answer:?}");
        assert!(!answer.closes(), "{answer:?}");
    }
}

/// Writes `head` then `piece` again and again (every `pause`) until the server ends the
/// connection; returns the bytes written and how long it took.
async fn write_until_closed(
    served: &Served,
    head: &str,
    piece: &[u8],
    pause: Duration,
) -> (usize, Duration) {
    let (mut reader, mut writer) = served.connect().await.into_split();
    let started = Instant::now();
    writer.write_all(head.as_bytes()).await.unwrap();
    let piece = piece.to_vec();
    let writing = tokio::spawn(async move {
        let mut written = 0;
        while writer.write_all(&piece).await.is_ok() {
            written += piece.len();
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        written
    });
    closed_within(&mut reader, Duration::from_secs(20)).await;
    let written = tokio::time::timeout(Duration::from_secs(20), writing)
        .await
        .expect("writes fail once the server closed")
        .unwrap();
    (written, started.elapsed())
}

/// One chunk of a chunked body.
fn chunk(size: usize) -> Vec<u8> {
    let mut c = format!("{size:x}\r\n").into_bytes();
    c.resize(c.len() + size, b'x');
    c.extend_from_slice(b"\r\n");
    c
}

fn chunked_head(path: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
}

#[tokio::test]
async fn a_body_past_the_byte_budget_is_not_read() {
    let budget = Budget {
        max_bytes: 8 * MIB as u64,
        ..Budget::DEFAULT
    };
    let served = Served::start(budget).await;
    // Declared larger than the budget: the connection is closed at once.
    let (written, _) = write_until_closed(
        &served,
        &head("POST", "/v1/tokens", &[], 1 << 40),
        &vec![b'x'; MIB],
        Duration::ZERO,
    )
    .await;
    assert!(written < 64 * MIB, "{written} bytes accepted");
    // Chunked without end: read up to the budget, then closed.
    let (written, _) = write_until_closed(
        &served,
        &chunked_head("/v1/tokens"),
        &chunk(MIB),
        Duration::ZERO,
    )
    .await;
    assert!(written >= 8 * MIB, "only {written} bytes read");
    assert!(written < 64 * MIB, "{written} bytes accepted");
}

#[tokio::test]
async fn a_stalled_or_trickling_client_is_closed_within_the_time_budget() {
    let budget = Budget {
        max_bytes: 1 << 40,
        max_time: Duration::from_secs(2),
        idle: Duration::from_millis(500),
    };
    let served = Served::start(budget).await;
    // Stalls after 2 MiB of 10: answered, then closed after the idle time.
    let (mut reader, mut writer) = served.connect().await.into_split();
    writer
        .write_all(head("POST", "/v1/tokens", &[], 10 * MIB).as_bytes())
        .await
        .unwrap();
    writer.write_all(&vec![b'x'; 2 * MIB]).await.unwrap();
    let answer = read_answer(&mut reader).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    let took = closed_within(&mut reader, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
    drop(writer);
    // Trickles without end, never idle: closed after the total time.
    let mut trickle = head("POST", "/v1/tokens", &[], 1 << 30).into_bytes();
    trickle.extend_from_slice(&vec![b'x'; 2 * MIB]);
    let (_, took) = write_until_closed(
        &served,
        &String::from_utf8(trickle).unwrap(),
        &[b'x'; 1024],
        Duration::from_millis(50),
    )
    .await;
    assert!(took >= Duration::from_secs(2), "closed after {took:?}");
    assert!(took < Duration::from_secs(8), "closed after {took:?}");
}
