//! [`import_bundle`]: [`parse_bundle`] on a blocking thread, its payloads staged in the
//! blob store as they stream. Nothing is committed here: the caller gets the parsed depot
//! and the [`StagedPayloads`], checks the identity (already imported?) and records the
//! depot, then commits — or drops them, which removes every staged byte.

use std::io::{Read, Seek};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use depot_blobs::{BlobInfo, BlobStore, Expected, StagedWrite};
use depot_model::Sha256Digest;
use sha2::Digest as _;
use tokio::sync::mpsc;

use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::limits::Limits;
use crate::model::{DeclaredChecksum, EsxDepot, Vib};
use crate::parse::{PayloadSink, parse_bundle};

/// Chunks in flight between the parser thread and the store (of up to 256 KiB each).
const IN_FLIGHT: usize = 8;

/// A parsed, verified bundle whose payloads wait in the blob store, uncommitted.
pub struct ImportedDepot {
    /// The depot, every VIB's `sha256` filled in.
    pub depot: EsxDepot,
    /// The payloads and the metadata documents, one staged write per distinct file.
    pub payloads: StagedPayloads,
    /// The metadata documents (`index.xml`, vendor indexes, metadata zips) as staged
    /// in `payloads`: path in the bundle, SHA-256, size; in the order they were read.
    pub documents: Vec<StagedDocument>,
}

/// A metadata document of the bundle, staged as a blob beside the payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedDocument {
    /// Its path in the bundle.
    pub path: EntryName,
    /// Its SHA-256.
    pub sha256: Sha256Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// Staged VIB payloads: verified by the parser, not yet visible in the store. Dropping
/// this (or [`abort`](Self::abort)) removes them. Each staged write holds an open file
/// until it is committed or dropped.
pub struct StagedPayloads {
    staged: Vec<(Sha256Digest, Box<dyn StagedWrite>)>,
}

impl std::fmt::Debug for StagedPayloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedPayloads")
            .field("len", &self.staged.len())
            .finish()
    }
}

impl StagedPayloads {
    /// How many payloads are staged.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// The digests of the staged payloads, in the order they were read.
    pub fn digests(&self) -> impl Iterator<Item = Sha256Digest> + '_ {
        self.staged.iter().map(|(digest, _)| *digest)
    }

    /// Makes every payload visible under its digest (the store checks size and digest
    /// once more). If a commit fails, the payloads committed before it stay as
    /// unreferenced blobs for the store's garbage collection, and the rest are dropped.
    pub async fn commit(self) -> Result<Vec<BlobInfo>, EsxError> {
        let mut committed = Vec::with_capacity(self.staged.len());
        for (_, write) in self.staged {
            committed.push(write.commit().await?);
        }
        Ok(committed)
    }

    /// Discards every staged payload.
    pub async fn abort(self) {
        for (_, write) in self.staged {
            write.abort().await;
        }
    }
}

/// How far an import is, readable from another task while it runs (for a task's
/// progress): payload bytes read and verified so far, out of the total the metadata
/// declares (0 until the metadata is read).
#[derive(Debug, Clone, Default)]
pub struct ImportProgress(Arc<[AtomicU64; 2]>);

impl ImportProgress {
    /// A new counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Payload bytes read so far.
    pub fn bytes_done(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed)
    }

    /// Payload bytes the bundle's metadata declares (0 before they are known).
    pub fn bytes_total(&self) -> u64 {
        self.0[1].load(Ordering::Relaxed)
    }
}

/// What the parser thread sends to the store side.
enum Piece {
    Document(StagedDocument, Vec<u8>),
    Begin(Expected),
    Data(Vec<u8>),
    End(Sha256Digest),
}

/// The parser's sink: hands each piece to the store side over a bounded channel.
struct ChannelSink {
    tx: mpsc::Sender<Piece>,
    progress: ImportProgress,
}

impl ChannelSink {
    fn send(&self, piece: Piece) -> Result<(), EsxError> {
        self.tx
            .blocking_send(piece)
            .map_err(|_| EsxError::Internal("the payload writer stopped".to_owned()))
    }
}

impl PayloadSink for ChannelSink {
    fn plan(&mut self, _: usize, bytes: u64) -> Result<(), EsxError> {
        self.progress.0[1].store(bytes, Ordering::Relaxed);
        Ok(())
    }

    fn document(&mut self, name: &EntryName, bytes: &[u8]) -> Result<(), EsxError> {
        let sha256 = Sha256Digest::from_bytes(sha2::Sha256::digest(bytes).into());
        let document = StagedDocument {
            path: name.clone(),
            sha256,
            size: bytes.len() as u64,
        };
        self.send(Piece::Document(document, bytes.to_vec()))
    }

    fn begin(&mut self, vib: &Vib) -> Result<(), EsxError> {
        let sha256 = match &vib.declared {
            DeclaredChecksum::Sha256(digest) => Some(*digest),
            DeclaredChecksum::Sha1(_) => None,
        };
        self.send(Piece::Begin(Expected {
            size: Some(vib.packed_size),
            sha256,
            max_size: Some(vib.packed_size),
        }))
    }

    fn write(&mut self, data: &[u8]) -> Result<(), EsxError> {
        self.send(Piece::Data(data.to_vec()))?;
        self.progress.0[0].fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn end(&mut self, sha256: Sha256Digest) -> Result<(), EsxError> {
        self.send(Piece::End(sha256))
    }
}

/// Parses and verifies the bundle in `reader` (a file: it is read once, front to back
/// for the payloads) and stages its payloads in `store`, counting into `progress`. On
/// any error nothing is left in the store. Dropping the future stops the parser at its
/// next chunk and removes what was staged.
#[tracing::instrument(skip_all)]
pub async fn import_bundle<R>(
    reader: R,
    store: Arc<dyn BlobStore>,
    limits: Limits,
    progress: &ImportProgress,
) -> Result<ImportedDepot, EsxError>
where
    R: Read + Seek + Send + 'static,
{
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let progress = progress.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink { tx, progress };
        parse_bundle(reader, &limits, &mut sink)
    });
    let (parsed, written) = tokio::join!(parser, stage_payloads(store.as_ref(), rx));
    let parsed = parsed.map_err(|e| EsxError::Internal(e.to_string()))?;
    match (parsed, written) {
        (Ok(depot), Ok((staged, documents))) => {
            tracing::info!(identity = %depot.identity.0, files = staged.len(), "offline depot parsed and staged");
            Ok(ImportedDepot {
                depot,
                payloads: StagedPayloads { staged },
                documents,
            })
        }
        // The store's error is the cause when the parser only saw the writer stop.
        (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
    }
}

/// What the store side staged: every write, and the documents among them.
type Staged = (
    Vec<(Sha256Digest, Box<dyn StagedWrite>)>,
    Vec<StagedDocument>,
);

/// The store side: one staged write per document and per payload, fed as the pieces
/// arrive.
async fn stage_payloads(
    store: &dyn BlobStore,
    mut rx: mpsc::Receiver<Piece>,
) -> Result<Staged, EsxError> {
    let mut staged = Vec::new();
    let mut documents: Vec<StagedDocument> = Vec::new();
    let mut current: Option<Box<dyn StagedWrite>> = None;
    while let Some(piece) = rx.recv().await {
        match piece {
            Piece::Document(document, bytes) => {
                if documents.iter().any(|d| d.sha256 == document.sha256) {
                    documents.push(document);
                    continue;
                }
                let expect = Expected {
                    size: Some(document.size),
                    sha256: Some(document.sha256),
                    max_size: Some(document.size),
                };
                let mut write = store.stage(expect, None).await?;
                write.write(&bytes).await?;
                staged.push((document.sha256, write));
                documents.push(document);
            }
            Piece::Begin(expect) => current = Some(store.stage(expect, None).await?),
            Piece::Data(data) => {
                let write = current.as_mut().ok_or_else(out_of_order)?;
                write.write(&data).await?;
            }
            Piece::End(digest) => {
                let write = current.take().ok_or_else(out_of_order)?;
                staged.push((digest, write));
            }
        }
    }
    // The parser stopped: after an error a payload may be half written; dropping it
    // (and the caller dropping `staged`) removes the temp files.
    Ok((staged, documents))
}

fn out_of_order() -> EsxError {
    EsxError::Internal("payload pieces arrived out of order".to_owned())
}
