//! A static VCSP tree (the `make_vcsp_2018.py` layout: `lib.json`, `items.json`,
//! `<item>/item.json`, `<item>/<file>`) written by the test into a directory and
//! served over loopback HTTP by a tiny axum handler.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::Response;
use depot_model::Sha256Digest;
use serde_json::{Value, json};

/// A publisher's tree and the server serving it.
pub struct Tree {
    pub dir: tempfile::TempDir,
    pub url: String,
    served: Served,
}

/// What the server saw and how slowly it answers.
#[derive(Clone, Default)]
struct Served {
    root: PathBuf,
    /// GETs per path.
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Milliseconds each answer waits.
    delay_ms: Arc<AtomicU64>,
}

/// One file of an item: name and content.
pub type File<'a> = (&'a str, &'a [u8]);

impl Tree {
    /// Serves an empty library at version 1.
    pub async fn serve() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let served = Served {
            root: dir.path().to_path_buf(),
            ..Served::default()
        };
        let app = Router::new()
            .route("/lib/{*path}", axum::routing::get(serve_file))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let tree = Self {
            dir,
            url: format!("http://{addr}/lib/lib.json"),
            served,
        };
        tree.write_lib(1);
        tree.write_items(&[]);
        tree
    }

    /// How many GETs `rel` had.
    pub fn hits(&self, rel: &str) -> usize {
        let hits = self.served.hits.lock().expect("hits");
        hits.get(rel).copied().unwrap_or(0)
    }

    /// Makes every answer wait `delay` first.
    pub fn slow_down(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).expect("delay");
        self.served.delay_ms.store(ms, Ordering::SeqCst);
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

fn write(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec(value).expect("json")).expect("write");
}

async fn serve_file(State(served): State<Served>, UrlPath(path): UrlPath<String>) -> Response {
    *served
        .hits
        .lock()
        .expect("hits")
        .entry(path.clone())
        .or_default() += 1;
    let delay = served.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let root = &served.root;
    let bad = path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..");
    match tokio::fs::read(root.join(&path)).await {
        Ok(bytes) if !bad => Response::new(Body::from(bytes)),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .expect("response"),
    }
}
