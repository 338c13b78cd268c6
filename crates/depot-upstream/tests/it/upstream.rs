//! The fake upstream depot: a real HTTP(S) server on 127.0.0.1 with fault injection per
//! path, plus a raw TCP server for answers axum will not send (a lying `Content-Length`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use bytes::Bytes;
use futures_util::stream;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const SMALL_BODY: &[u8] = br#"{"sequenceNumber": 42}"#;
pub const SMALL_ETAG: &str = "\"v42\"";
pub const SMALL_LAST_MODIFIED: &str = "Fri, 21 Mar 2025 09:42:55 GMT";
pub const BASIC_USER: &str = "depotuser";
pub const BASIC_PASSWORD: &str = "s3cret-pw";
pub const TOKEN: &str = "tok-7f3a21";

/// Requests seen per path.
#[derive(Default)]
pub struct Hits(Mutex<HashMap<String, u32>>);

impl Hits {
    /// Counts a request to `path`; returns how many there were, this one included.
    fn count(&self, path: &str) -> u32 {
        let mut hits = self.0.lock().unwrap();
        let n = hits.entry(path.to_owned()).or_default();
        *n += 1;
        *n
    }

    /// Requests seen for `path`.
    pub fn get(&self, path: &str) -> u32 {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// A running fake depot.
pub struct Upstream {
    pub addr: SocketAddr,
    pub hits: Arc<Hits>,
}

impl Upstream {
    /// Serves plain HTTP.
    pub async fn http() -> Self {
        let hits = Arc::new(Hits::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(hits.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, hits }
    }

    /// Serves HTTPS with the given certificate and key (PEM).
    pub async fn https(cert_pem: &str, key_pem: &str) -> Self {
        let hits = Arc::new(Hits::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            cert_pem.as_bytes().to_vec(),
            key_pem.as_bytes().to_vec(),
        )
        .await
        .unwrap();
        let app = router(hits.clone());
        let server = axum_server::from_tcp_rustls(listener, config).unwrap();
        tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
        Self { addr, hits }
    }

    /// `http://127.0.0.1:<port>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

fn router(hits: Arc<Hits>) -> Router {
    Router::new()
        .route("/files/small.json", get(small))
        .route("/flaky/{failures}/file", get(flaky))
        .route("/status/{code}/file", get(fixed_status))
        .route("/retry-after/{seconds}/file", get(retry_after))
        .route("/basic/file", get(basic))
        .route("/online/{token}/PROD/{*rest}", get(online))
        .route("/slow/{chunks}/{delay_ms}/file", get(slow))
        .route("/big/{mib}/file", get(big))
        .route("/big-chunked/{mib}/file", get(big_chunked))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(hits.clone(), count))
        .with_state(hits)
}

/// Counts every request by path.
async fn count(
    State(hits): State<Arc<Hits>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    hits.count(request.uri().path());
    next.run(request).await
}

/// A small file with validators; 304 when either validator matches.
async fn small(headers: HeaderMap) -> Response {
    let matches = |name, value: &str| headers.get(name).is_some_and(|v| v == value);
    let validators = [
        (header::ETAG, SMALL_ETAG),
        (header::LAST_MODIFIED, SMALL_LAST_MODIFIED),
    ];
    if matches(header::IF_NONE_MATCH, SMALL_ETAG)
        || matches(header::IF_MODIFIED_SINCE, SMALL_LAST_MODIFIED)
    {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    (validators, SMALL_BODY).into_response()
}

/// 500 for the first `failures` requests, then the small file.
async fn flaky(State(hits): State<Arc<Hits>>, Path(failures): Path<u32>, uri: Uri) -> Response {
    if hits.get(uri.path()) <= failures {
        return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
    }
    SMALL_BODY.into_response()
}

/// Always answers `code`.
async fn fixed_status(Path(code): Path<u16>) -> Response {
    StatusCode::from_u16(code).unwrap().into_response()
}

/// 429 with `Retry-After: seconds` first, then the small file.
async fn retry_after(
    State(hits): State<Arc<Hits>>,
    Path(seconds): Path<u64>,
    uri: Uri,
) -> Response {
    if hits.get(uri.path()) == 1 {
        let wait = HeaderValue::from_str(&seconds.to_string()).unwrap();
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait)]).into_response();
    }
    SMALL_BODY.into_response()
}

/// The small file for `BASIC_USER:BASIC_PASSWORD` only.
async fn basic(headers: HeaderMap) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}"))
    );
    if headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v == expected.as_str())
    {
        return SMALL_BODY.into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"depot\"")],
    )
        .into_response()
}

/// `rest` as the body for the right token, 403 otherwise (like the online depot).
async fn online(Path((token, rest)): Path<(String, String)>) -> Response {
    if token != TOKEN {
        return StatusCode::FORBIDDEN.into_response();
    }
    rest.into_response()
}

/// `chunks` chunks of 1 KiB, `delay_ms` apart.
async fn slow(Path((chunks, delay_ms)): Path<(u32, u64)>) -> Response {
    let body = stream::unfold(0, move |sent| async move {
        if sent == chunks {
            return None;
        }
        if sent > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        Some((Ok::<_, Infallible>(Bytes::from(vec![b'x'; 1024])), sent + 1))
    });
    Body::from_stream(body).into_response()
}

/// `mib` MiB of [`big_content`], with a `Content-Length`, streamed in 64 KiB chunks.
async fn big(Path(mib): Path<usize>) -> Response {
    let len = big_content(mib).len();
    ([(header::CONTENT_LENGTH, len.to_string())], big_stream(mib)).into_response()
}

/// The same without a `Content-Length` (chunked encoding).
async fn big_chunked(Path(mib): Path<usize>) -> Response {
    big_stream(mib).into_response()
}

fn big_stream(mib: usize) -> Body {
    let content = Bytes::from(big_content(mib));
    let chunks: Vec<Result<Bytes, Infallible>> = (0..content.len())
        .step_by(64 * 1024)
        .map(|start| Ok(content.slice(start..(start + 64 * 1024).min(content.len()))))
        .collect();
    Body::from_stream(stream::iter(chunks))
}

/// `mib` MiB of deterministic, non-repeating-looking bytes.
pub fn big_content(mib: usize) -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    (0..mib << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// A hand-written HTTP/1.1 server: answers every request with `response` (then closes the
/// connection) and records each request head.
pub struct RawServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    pub async fn start(response: Vec<u8>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            }
        });
        Self { addr, requests }
    }

    /// Requests received so far.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// A port on 127.0.0.1 with nothing listening.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
