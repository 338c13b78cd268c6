//! A static VCSP tree (the `make_vcsp_2018.py` layout: `lib.json`, `items.json`,
//! `<item>/item.json`, `<item>/<file>`) written by the test into a directory and
//! served over loopback HTTP by a tiny axum handler that answers `Range` with
//! `If-Range` as a web server does, logs every request, and injects faults byte by
//! byte when a test queues them.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use depot_model::Sha256Digest;
use serde_json::{Value, json};

/// A publisher's tree and the server serving it.
pub struct Tree {
    pub dir: tempfile::TempDir,
    pub url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// What the next request for a path gets instead of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// This status, no body.
    Status(u16),
    /// The headers of the whole answer, `n` bytes of it, then the connection is reset.
    Cut(usize),
    /// The answer after a pause.
    Slow(Duration),
}

/// One request as the server saw it: path, `Range` and `If-Range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
}

#[derive(Default)]
struct Shared {
    root: PathBuf,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    always: Mutex<HashMap<String, Fault>>,
    seen: Mutex<Vec<Seen>>,
    /// Milliseconds every answer waits.
    delay_ms: AtomicU64,
}

impl Drop for Tree {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One file of an item: name and content.
pub type File<'a> = (&'a str, &'a [u8]);

impl Tree {
    /// Serves an empty library at version 1.
    pub async fn serve() -> Self {
        Self::serve_on(None).await
    }

    /// [`Tree::serve`] over HTTPS with a self-signed certificate for 127.0.0.1 and
    /// localhost; returns the certificate's PEM too.
    pub async fn serve_https() -> (Self, String) {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
        let cert = certified.cert.pem();
        let key = certified.signing_key.serialize_pem();
        (Self::serve_on(Some((cert.clone(), key))).await, cert)
    }

    async fn serve_on(tls: Option<(String, String)>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let shared = Arc::new(Shared {
            root: dir.path().to_path_buf(),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/lib/{*path}", axum::routing::get(serve_file))
            .with_state(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (scheme, server) = match tls {
            None => {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let server = tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                ("http", server)
            }
            Some((cert, key)) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem(
                    cert.into_bytes(),
                    key.into_bytes(),
                )
                .await
                .expect("TLS config");
                let server = axum_server::from_tcp_rustls(listener, config).expect("server");
                let server = tokio::spawn(async move {
                    let _ = server.serve(app.into_make_service()).await;
                });
                ("https", server)
            }
        };
        let tree = Self {
            dir,
            url: format!("{scheme}://{addr}/lib/lib.json"),
            shared,
            server,
        };
        tree.write_lib(1);
        tree.write_items(&[]);
        tree
    }

    /// Queues `fault` for the next request of `rel` (after those queued before).
    pub fn fault_once(&self, rel: &str, fault: Fault) {
        let mut faults = self.shared.faults.lock().unwrap();
        faults.entry(rel.to_owned()).or_default().push_back(fault);
    }

    /// Every request of `rel` gets `fault` (until [`Tree::heal`]).
    pub fn fault_always(&self, rel: &str, fault: Fault) {
        self.shared
            .always
            .lock()
            .unwrap()
            .insert(rel.to_owned(), fault);
    }

    /// No more faults.
    pub fn heal(&self) {
        self.shared.always.lock().unwrap().clear();
        self.shared.faults.lock().unwrap().clear();
    }

    /// The requests of `rel` so far.
    pub fn requests(&self, rel: &str) -> Vec<Seen> {
        let seen = self.shared.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == rel).cloned().collect()
    }

    /// How many requests `rel` had.
    pub fn hits(&self, rel: &str) -> usize {
        self.requests(rel).len()
    }

    /// Makes every answer wait `delay` first.
    pub fn slow_down(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).expect("delay");
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Stops accepting connections: the publisher is unreachable.
    pub fn stop(&self) {
        self.server.abort();
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write_lib(&self, version: u64) {
        let lib = json!({"vcspVersion": "2", "version": version.to_string(),
            "contentVersion": "1", "id": "urn:uuid:5f0c0b6e-0000-4000-8000-000000000001",
            "name": "tree", "created": "2025-01-01T00:00:00Z",
            "capabilities": {"transferIn": ["httpGet"], "transferOut": ["httpGet"]},
            "itemsHref": "items.json"});
        write(&self.path("lib.json"), &lib);
    }

    pub fn write_items(&self, items: &[Value]) {
        write(&self.path("items.json"), &json!({ "items": items }));
    }

    /// Writes item `name` (id `id`, version `version`) with its files and its
    /// `item.json`; returns its `items.json` entry.
    pub fn item(&self, id: &str, name: &str, version: u64, files: &[File<'_>]) -> Value {
        std::fs::create_dir_all(self.path(name)).expect("item dir");
        let files: Vec<Value> = files
            .iter()
            .map(|(file, content)| {
                std::fs::write(self.path(&format!("{name}/{file}")), content).expect("file");
                json!({"name": file, "size": content.len(),
                    "etag": Sha256Digest::compute(content).to_string(),
                    "hrefs": [format!("{name}/{file}")]})
            })
            .collect();
        let item = json!({"id": format!("urn:uuid:{id}"), "name": name, "type": "vcsp.iso",
            "version": version.to_string(), "created": "2025-01-01T00:00:00Z",
            "selfHref": format!("{name}/item.json"), "files": files, "properties": {}});
        write(&self.path(&format!("{name}/item.json")), &item);
        item
    }
}

impl Tree {
    /// Rewrites the `item.json` of item `name`.
    pub fn write_item(&self, name: &str, item: &Value) {
        write(&self.path(&format!("{name}/item.json")), item);
    }
}

fn write(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec(value).expect("json")).expect("write");
}

/// The HTTP `ETag` of content: strong, from its digest.
fn etag(content: &[u8]) -> String {
    format!("\"{}\"", &Sha256Digest::compute(content).to_string()[..16])
}

fn status(code: u16) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(code).expect("status"))
        .body(Body::empty())
        .expect("response")
}

async fn serve_file(
    State(shared): State<Arc<Shared>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    shared.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        range: text(header::RANGE),
        if_range: text(header::IF_RANGE),
    });
    let queued = shared
        .faults
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let fault = queued.or_else(|| shared.always.lock().unwrap().get(&path).copied());
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match fault {
        Some(Fault::Status(code)) => return status(code),
        Some(Fault::Slow(pause)) => tokio::time::sleep(pause).await,
        _ => {}
    }
    let bad = path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..");
    let Ok(bytes) = tokio::fs::read(shared.root.join(&path)).await else {
        return status(404);
    };
    if bad {
        return status(404);
    }
    let tag = etag(&bytes);
    let start = text(header::RANGE)
        .and_then(|r| {
            r.strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse::<usize>()
                .ok()
        })
        .filter(|_| text(header::IF_RANGE).is_none_or(|v| v == tag))
        .filter(|&start| start < bytes.len());
    let (code, body) = match start {
        Some(start) => (206, bytes[start..].to_vec()),
        None => (200, bytes.clone()),
    };
    let mut response = Response::builder()
        .status(code)
        .header(header::ETAG, &tag)
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(start) = start {
        let range = format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len());
        response = response.header(header::CONTENT_RANGE, range);
    }
    let body = match fault {
        Some(Fault::Cut(n)) => {
            let sent = body[..n.min(body.len())].to_vec();
            // The bytes, a pause (so that they are flushed), then a reset.
            let chunks = futures_util::stream::unfold(Some(sent), |left| async move {
                if let Some(sent) = left {
                    Some((Ok(sent), None))
                } else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let reset = std::io::Error::other("connection reset by the test");
                    Some((Err::<Vec<u8>, _>(reset), None))
                }
            });
            Body::from_stream(chunks)
        }
        _ => Body::from(body),
    };
    response.body(body).expect("response")
}
