//! [`ContentFetcher`]: the one place a subscription's file content is downloaded, through
//! the download engine of `depot-upstream` (several files at once, bandwidth limits,
//! retries, resume with `Range`, sizes and SHA-256 etags checked while streaming, content
//! already stored not fetched again); and filling the content of synced items with it,
//! group by group, with the progress of the whole sync.

use async_trait::async_trait;
use depot_blobs::{BlobInfo, Sha256Digest};
use depot_upstream::{DepotPath, DownloadProgress, DownloadRequest, DownloadSource};
use tokio::sync::watch;

use super::merge::{Synced, etag_digest};
use super::publisher::{Publisher, failed};
use crate::LibraryError;

/// Files downloaded in one batch of a sync at most; items are stored batch by batch, so
/// that a long sync shows its progress in the library and a canceled one keeps what it
/// finished.
const BATCH_FILES: usize = 64;
/// Bytes downloaded in one batch of a sync at most (a bigger file is a batch alone).
const BATCH_BYTES: u64 = 1 << 30;

/// One file to fetch and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFetch {
    /// Where it is, below the library root.
    pub path: DepotPath,
    /// Its size by the publisher's `item.json`.
    pub size: u64,
    /// Its SHA-256 when the publisher states it (depotd's etag): checked, and the
    /// download is skipped when the store holds it already.
    pub sha256: Option<Sha256Digest>,
}

/// Downloads files of a publisher into the blob store, checking their sizes. The one
/// seam for content downloads.
#[async_trait]
pub trait ContentFetcher: Send + Sync {
    /// Fetches `path` (below the library root), which must be `expected_size` bytes.
    async fn fetch_file(
        &self,
        path: &DepotPath,
        expected_size: u64,
    ) -> Result<BlobInfo, LibraryError>;

    /// Fetches `files` (several at a time where the fetcher can), publishing the bytes
    /// and files done on `progress`; the results are in the order of `files`. A file
    /// that fails leaves nothing in the store.
    async fn fetch_files(
        &self,
        files: &[FileFetch],
        progress: &watch::Sender<DownloadProgress>,
    ) -> Vec<Result<BlobInfo, LibraryError>> {
        let mut results = Vec::with_capacity(files.len());
        for file in files {
            let result = self.fetch_file(&file.path, file.size).await;
            progress.send_modify(|p| match &result {
                Ok(blob) => {
                    p.files_done += 1;
                    p.bytes_done += blob.size;
                }
                Err(_) => p.files_failed += 1,
            });
            results.push(result);
        }
        results
    }
}

#[async_trait]
impl ContentFetcher for Publisher {
    async fn fetch_file(
        &self,
        path: &DepotPath,
        expected_size: u64,
    ) -> Result<BlobInfo, LibraryError> {
        let file = FileFetch {
            path: path.clone(),
            size: expected_size,
            sha256: None,
        };
        let (progress, _) = watch::channel(DownloadProgress::default());
        self.fetch_files(std::slice::from_ref(&file), &progress)
            .await
            .pop()
            .unwrap_or_else(|| Err(failed(path, &"the download engine returned nothing")))
    }

    async fn fetch_files(
        &self,
        files: &[FileFetch],
        progress: &watch::Sender<DownloadProgress>,
    ) -> Vec<Result<BlobInfo, LibraryError>> {
        let requests: Vec<DownloadRequest> = files
            .iter()
            .map(|f| DownloadRequest {
                size: Some(f.size),
                sha256: f.sha256,
                max_size: Some(f.size),
                ..DownloadRequest::new(DownloadSource::Path(f.path.clone()))
            })
            .collect();
        self.downloader()
            .download_reporting(self.blobs(), &requests, progress)
            .await
            .into_iter()
            .zip(files)
            .map(|(result, file)| {
                result
                    .map(|done| done.blob)
                    .map_err(|e| failed(&file.path, &e))
            })
            .collect()
    }
}

/// The files `synced` still needs (optional ones only when `optional`), as indexes into
/// its files and what to fetch.
fn wanted(synced: &Synced, optional: bool) -> Vec<(usize, FileFetch)> {
    synced
        .missing(optional)
        .into_iter()
        .map(|i| {
            let file = &synced.files[i];
            let fetch = FileFetch {
                path: synced.sources[i].0.clone(),
                size: file.size,
                sha256: etag_digest(file.source_etag.as_deref()),
            };
            (i, fetch)
        })
        .collect()
}

/// The bytes the missing content of `items` adds up to (for the sync's progress).
pub(crate) fn bytes_wanted<'a>(items: impl Iterator<Item = &'a Synced>, optional: bool) -> u64 {
    items
        .flat_map(|s| wanted(s, optional))
        .map(|(_, f)| f.size)
        .sum()
}

/// Splits `items` (by index) into batches of at most [`BATCH_FILES`] files and
/// [`BATCH_BYTES`] bytes of missing content (an item is never split).
pub(crate) fn batches(items: &[Synced], optional: bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut files, mut bytes) = (0, 0, 0);
    for (i, item) in items.iter().enumerate() {
        let want = wanted(item, optional);
        let (n, size) = (want.len(), want.iter().map(|(_, f)| f.size).sum::<u64>());
        if i > start && (files + n > BATCH_FILES || bytes + size > BATCH_BYTES) {
            out.push(start..i);
            (start, files, bytes) = (i, 0, 0);
        }
        files += n;
        bytes += size;
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

/// Downloads the content `items` lack in one batch through `fetcher`, adding to
/// `progress`. Per item: `Ok` when every wanted file arrived (its digests are set), the
/// first failure otherwise (the item is left without the content it lacked).
pub(crate) async fn fill(
    fetcher: &dyn ContentFetcher,
    items: &mut [Synced],
    optional: bool,
    progress: &watch::Sender<DownloadProgress>,
) -> Vec<Result<(), LibraryError>> {
    let plan: Vec<Vec<(usize, FileFetch)>> = items.iter().map(|s| wanted(s, optional)).collect();
    let files: Vec<FileFetch> = plan.iter().flatten().map(|(_, f)| f.clone()).collect();
    let mut results = fetch_reporting(fetcher, &files, progress).await.into_iter();
    let mut outcome = Vec::with_capacity(items.len());
    for (synced, want) in items.iter_mut().zip(plan) {
        let mut first_error = None;
        for ((index, _), result) in want.into_iter().zip(results.by_ref()) {
            match result {
                Ok(blob) => synced.files[index].digest = Some(blob.digest),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        outcome.push(first_error.map_or(Ok(()), Err));
    }
    outcome
}

/// [`ContentFetcher::fetch_files`], its progress added to what `outer` shows already.
async fn fetch_reporting(
    fetcher: &dyn ContentFetcher,
    files: &[FileFetch],
    outer: &watch::Sender<DownloadProgress>,
) -> Vec<Result<BlobInfo, LibraryError>> {
    let base = *outer.borrow();
    let (tx, mut rx) = watch::channel(DownloadProgress::default());
    let forward = |inner: DownloadProgress| {
        outer.send_replace(DownloadProgress {
            bytes_done: base.bytes_done + inner.bytes_done,
            bytes_total: base.bytes_total.max(base.bytes_done + inner.bytes_total),
            files_total: base.files_total.max(base.files_done + inner.files_total),
            files_done: base.files_done + inner.files_done,
            files_failed: base.files_failed + inner.files_failed,
            files_unsized: inner.files_unsized,
        });
    };
    let work = fetcher.fetch_files(files, &tx);
    tokio::pin!(work);
    let results = loop {
        tokio::select! {
            results = &mut work => break results,
            Ok(()) = rx.changed() => forward(*rx.borrow_and_update()),
        }
    };
    forward(*tx.borrow());
    results
}
