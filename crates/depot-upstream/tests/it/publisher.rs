//! A publisher that serves ranges: files with validators, `Range` + `If-Range` (or not),
//! pacing, and scripted faults per request (a connection cut after N bytes, the file
//! replaced meanwhile). It logs every request with the bytes it actually sent.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;

/// Bytes per body chunk.
const CHUNK: usize = 16 * 1024;

/// What goes wrong with one response.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The connection breaks after this many body bytes.
    CutAfter(usize),
    /// The connection breaks after this many body bytes, and the file is then replaced by
    /// this content with this `ETag`.
    CutThenReplace(usize, Vec<u8>, &'static str),
}

/// A file the publisher serves.
pub struct File {
    pub content: Bytes,
    pub etag: Option<&'static str>,
    pub last_modified: Option<&'static str>,
    /// Whether `Range` is honoured (otherwise every answer is a 200 of the whole file).
    pub ranges: bool,
    /// A pause before each chunk after the first.
    pub pace: Duration,
    /// Faults of the next responses, in order.
    pub faults: VecDeque<Fault>,
}

impl File {
    /// A file with a strong `ETag`, ranges honoured, no pause and no faults.
    pub fn new(content: Vec<u8>) -> Self {
        Self {
            content: Bytes::from(content),
            etag: Some("\"v1\""),
            last_modified: None,
            ranges: true,
            pace: Duration::ZERO,
            faults: VecDeque::new(),
        }
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push_back(fault);
        self
    }
}

/// One request, as the publisher saw and answered it.
#[derive(Debug, Clone)]
pub struct Served {
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub status: u16,
    sent: Arc<AtomicU64>,
}

impl Served {
    /// Body bytes sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Shared {
    files: Mutex<HashMap<String, File>>,
    log: Mutex<Vec<Served>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running publisher on 127.0.0.1.
pub struct Publisher {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Publisher {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/pub/{*name}", get(serve))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    /// Serves `file` at `/pub/<name>`.
    pub fn add(&self, name: &str, file: File) {
        self.shared
            .files
            .lock()
            .unwrap()
            .insert(name.to_owned(), file);
    }

    /// The base URL of the files.
    pub fn base(&self) -> String {
        format!("http://{}/pub/", self.addr)
    }

    /// Requests for `name`, in order.
    pub fn served(&self, name: &str) -> Vec<Served> {
        let path = format!("/pub/{name}");
        let log = self.shared.log.lock().unwrap();
        log.iter().filter(|s| s.path == path).cloned().collect()
    }

    /// The most responses that were streaming at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

/// What one response sends: the bytes, where to cut, the pacing.
struct Plan {
    body: Bytes,
    cut: Option<usize>,
    pace: Duration,
}

async fn serve(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (range, if_range) = (text(header::RANGE), text(header::IF_RANGE));
    let Some((status, response_headers, plan)) =
        answer(&shared, &name, range.as_deref(), if_range.as_deref())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let served = Served {
        path: format!("/pub/{name}"),
        range,
        if_range,
        status: status.as_u16(),
        sent: Arc::new(AtomicU64::new(0)),
    };
    shared.log.lock().unwrap().push(served.clone());
    let body = body(shared, plan, served.sent);
    (status, response_headers, body).into_response()
}

/// Decides the answer, and applies the file's next fault.
fn answer(
    shared: &Shared,
    name: &str,
    range: Option<&str>,
    if_range: Option<&str>,
) -> Option<(StatusCode, HeaderMap, Plan)> {
    let mut files = shared.files.lock().unwrap();
    let file = files.get_mut(name)?;
    let fault = file.faults.pop_front();
    let len = file.content.len();
    let validators_match =
        if_range.is_none_or(|v| Some(v) == file.etag || Some(v) == file.last_modified);
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|start| file.ranges && validators_match && *start < len);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (header::ETAG, file.etag),
        (header::LAST_MODIFIED, file.last_modified),
    ] {
        if let Some(value) = value {
            headers.insert(name, value.parse().unwrap());
        }
    }
    let from = start.unwrap_or(0);
    headers.insert(header::CONTENT_LENGTH, (len - from).into());
    let status = match start {
        Some(start) => {
            let value = format!("bytes {start}-{}/{len}", len - 1);
            headers.insert(header::CONTENT_RANGE, value.parse().unwrap());
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    };
    let plan = Plan {
        body: file.content.slice(from..),
        cut: match &fault {
            Some(Fault::CutAfter(n) | Fault::CutThenReplace(n, _, _)) => Some(*n),
            None => None,
        },
        pace: file.pace,
    };
    if let Some(Fault::CutThenReplace(_, content, etag)) = fault {
        file.content = Bytes::from(content);
        file.etag = Some(etag);
    }
    Some((status, headers, plan))
}

/// Counts a streaming response while it lives.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(shared: Arc<Shared>) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The body: chunks, paced, cut where the plan says (after a pause, so the bytes before
/// the cut reach the client).
fn body(shared: Arc<Shared>, plan: Plan, sent: Arc<AtomicU64>) -> Body {
    let guard = InFlight::new(shared);
    let stream = futures_util::stream::unfold((plan, 0usize, guard), move |(plan, pos, guard)| {
        let sent = sent.clone();
        async move {
            let end = plan.cut.unwrap_or(usize::MAX).min(plan.body.len());
            if pos > 0 && !plan.pace.is_zero() {
                tokio::time::sleep(plan.pace).await;
            }
            if pos >= end {
                if plan.cut.is_some_and(|cut| cut < plan.body.len()) && pos != usize::MAX {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let cut: Result<Bytes, io::Error> =
                        Err(io::Error::new(io::ErrorKind::ConnectionReset, "cut"));
                    return Some((cut, (plan, usize::MAX, guard)));
                }
                return None;
            }
            let next = (pos + CHUNK).min(end);
            sent.fetch_add((next - pos) as u64, Ordering::SeqCst);
            let chunk = Ok(plan.body.slice(pos..next));
            Some((chunk, (plan, next, guard)))
        }
    });
    Body::from_stream(stream)
}
