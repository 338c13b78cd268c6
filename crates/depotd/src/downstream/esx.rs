//! The imported ESX offline depots, served together as one ESXi online depot at
//! `/depot/esx/` for ESXi hosts, vSphere Lifecycle Manager and other depotd instances:
//! `index.xml` is generated (every depot's vendors, each moved under the depot's id);
//! below `/depot/esx/<depot id>/` each depot's files are served as they were in its
//! bundle (vendor indexes, metadata zips, VIB payloads), with the downstream depot's
//! Basic auth, conditional requests and ranges. A depot's files never change (an
//! import is immutable; a delete removes it), so its file list is cached per depot
//! once read; whether the depot still exists is checked on every request. While a
//! depot's file streams, the depot counts as in use (`delete$task` without `force`
//! refuses it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;
use depot_esx::{IndexedVendor, index_vendors, online_index_xml};
use depot_esx_depots::UseGuard;
use depot_file_server::{FileMeta, FileSource};
use depot_model::{OfflineDepotFile, OfflineDepotId, Sha256Digest, Timestamp};
use http_body::{Frame, SizeHint};
use tracing::warn;

use super::{DownstreamError, DownstreamState};

/// The largest `index.xml` of one depot read to build the merged one.
const MAX_INDEX_BYTES: u64 = 1 << 20;

/// What is cached of the served depots.
#[derive(Default)]
pub struct EsxServed {
    /// Each depot's files by path, and the vendors of its `index.xml`.
    trees: Mutex<HashMap<OfflineDepotId, Arc<DepotTree>>>,
    /// The merged `index.xml` and the depots it lists.
    index: Mutex<Option<Arc<MergedIndex>>>,
}

struct DepotTree {
    files: HashMap<String, OfflineDepotFile>,
    vendors: Vec<IndexedVendor>,
}

struct MergedIndex {
    depots: Vec<OfflineDepotId>,
    bytes: Bytes,
    etag: String,
    modified: Timestamp,
}

impl EsxServed {
    fn tree(&self, id: OfflineDepotId) -> Option<Arc<DepotTree>> {
        self.trees
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    fn keep(&self, id: OfflineDepotId, tree: Arc<DepotTree>) {
        self.trees
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tree);
    }

    fn forget_all_but(&self, ids: &[OfflineDepotId]) {
        self.trees
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id, _| ids.contains(id));
    }
}

/// `GET`/`HEAD /depot/esx/index.xml` (and `/depot/esx/`).
pub async fn index(
    state: &DownstreamState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, DownstreamError> {
    let index = merged_index(state).await?;
    let meta = FileMeta::new(index.bytes.len() as u64, &index.etag, "text/xml")
        .map_err(|e| DownstreamError::Corrupt {
            path: "esx/index.xml".to_owned(),
            reason: e.to_string(),
        })?
        .last_modified(index.modified.into())
        // Depots come and go under the same name: revalidate.
        .header(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    depot_file_server::serve(
        method,
        headers,
        &meta,
        FileSource::Bytes(index.bytes.clone()),
    )
    .await
    .map_err(|source| DownstreamError::File {
        path: "esx/index.xml".to_owned(),
        source,
    })
}

/// `GET`/`HEAD /depot/esx/<depot>/<path>`: a file of an imported depot.
pub async fn file(
    state: &DownstreamState,
    method: &Method,
    headers: &HeaderMap,
    depot: &str,
    path: &str,
) -> Result<Response, DownstreamError> {
    let id: OfflineDepotId = depot.parse().map_err(|_| DownstreamError::NotFound)?;
    let tree = depot_tree(state, id)
        .await?
        .ok_or(DownstreamError::NotFound)?;
    let file = tree.files.get(path).ok_or(DownstreamError::NotFound)?;
    let full_path = || format!("esx/{id}/{}", file.path);
    let meta = FileMeta::new(file.size, &file.digest.to_string(), content_type(path))
        .map_err(|e| DownstreamError::Corrupt {
            path: full_path(),
            reason: e.to_string(),
        })?
        // The content under a depot's path never changes.
        .header(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=86400, immutable"),
        );
    let guard = state.in_use.hold(id);
    let source = FileSource::Blob {
        store: state.blobs.as_ref(),
        digest: file.digest,
    };
    let response = depot_file_server::serve(method, headers, &meta, source)
        .await
        .map_err(|source| DownstreamError::File {
            path: full_path(),
            source,
        })?;
    // The depot is in use until the body has been sent (or dropped).
    Ok(response.map(|inner| {
        Body::new(Guarded {
            inner,
            _guard: guard,
        })
    }))
}

/// A response body that keeps its depot marked in use while it lives.
struct Guarded {
    inner: Body,
    _guard: UseGuard,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Depot `id`'s files, if it (still) exists: read once, then cached.
async fn depot_tree(
    state: &DownstreamState,
    id: OfflineDepotId,
) -> Result<Option<Arc<DepotTree>>, DownstreamError> {
    let store = &state.store;
    if store
        .get_offline_depot(id)
        .await
        .map_err(DownstreamError::Store)?
        .is_none()
    {
        return Ok(None);
    }
    if let Some(tree) = state.esx.tree(id) {
        return Ok(Some(tree));
    }
    let files: HashMap<String, OfflineDepotFile> = store
        .offline_depot_files(id)
        .await
        .map_err(DownstreamError::Store)?
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    let vendors = match files.get("index.xml") {
        Some(index) => read_vendors(state, id, index).await,
        None => Vec::new(),
    };
    let tree = Arc::new(DepotTree { files, vendors });
    state.esx.keep(id, tree.clone());
    Ok(Some(tree))
}

/// The vendors of a depot's own `index.xml`; none (with a warning) if it cannot be read:
/// it was checked at import, so only a damaged store gets here.
async fn read_vendors(
    state: &DownstreamState,
    id: OfflineDepotId,
    index: &OfflineDepotFile,
) -> Vec<IndexedVendor> {
    let bytes = match state.blobs.read_all(&index.digest, MAX_INDEX_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            warn!(depot = %id, error = %e, "esx depot: its index.xml cannot be read; not listed");
            return Vec::new();
        }
    };
    index_vendors(&bytes).unwrap_or_else(|e| {
        warn!(depot = %id, error = %e, "esx depot: its index.xml does not parse; not listed");
        Vec::new()
    })
}

/// The merged `index.xml` of the depots there are now (rebuilt when they changed).
async fn merged_index(state: &DownstreamState) -> Result<Arc<MergedIndex>, DownstreamError> {
    let depots = state
        .store
        .list_offline_depots()
        .await
        .map_err(DownstreamError::Store)?;
    let ids: Vec<OfflineDepotId> = depots.iter().map(|d| d.id).collect();
    let cached = state
        .esx
        .index
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if let Some(index) = cached.filter(|index| index.depots == ids) {
        return Ok(index);
    }
    state.esx.forget_all_but(&ids);
    let mut trees = Vec::with_capacity(ids.len());
    for id in &ids {
        // A depot deleted since the list is left out.
        if let Some(tree) = depot_tree(state, *id).await? {
            trees.push((id.to_string(), tree));
        }
    }
    let xml = online_index_xml(
        trees
            .iter()
            .map(|(id, tree)| (id.as_str(), tree.vendors.as_slice())),
    );
    let bytes = Bytes::from(xml);
    let index = Arc::new(MergedIndex {
        etag: Sha256Digest::compute(&bytes).to_string(),
        modified: depots
            .iter()
            .map(|d| d.create_time)
            .max()
            .unwrap_or(Timestamp::UNIX_EPOCH),
        depots: ids,
        bytes,
    });
    *state
        .esx
        .index
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(index.clone());
    Ok(index)
}

fn content_type(path: &str) -> &'static str {
    let extension = std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if extension.eq_ignore_ascii_case("xml") {
        "text/xml"
    } else if extension.eq_ignore_ascii_case("zip") {
        "application/zip"
    } else {
        "application/octet-stream"
    }
}
