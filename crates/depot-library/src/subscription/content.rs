//! [`ContentFetcher`]: the one place a subscription's file content is downloaded, through
//! the download engine of `depot-upstream` (several files at once, bandwidth limits,
//! retries, resume with `Range`, sizes and SHA-256 etags checked while streaming, content
//! already stored not fetched again); and filling the content of synced items with it,
//! with the progress of the whole sync, each item handed on as soon as its files arrived.

use async_trait::async_trait;
use depot_blobs::{BlobInfo, Sha256Digest};
use depot_upstream::{DepotPath, DownloadProgress, DownloadRequest, DownloadSource};
use tokio::sync::{mpsc, watch};

use super::merge::{Synced, etag_digest};
use super::publisher::{Publisher, failed, fetch_failed};
use crate::LibraryError;

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

    /// [`fetch_files`](Self::fetch_files), handing each file's outcome (with its index
    /// in `files`) to `done` as soon as it is known, so that the caller can store what
    /// arrived while the rest downloads (`done` must not wait). Returns when every file
    /// has had its outcome.
    async fn fetch_each(
        &self,
        files: &[FileFetch],
        progress: &watch::Sender<DownloadProgress>,
        done: &mut (dyn FnMut(usize, Result<BlobInfo, LibraryError>) + Send),
    ) {
        for (index, result) in self
            .fetch_files(files, progress)
            .await
            .into_iter()
            .enumerate()
        {
            done(index, result);
        }
    }
}

/// What the download engine is asked for `files`.
fn requests(files: &[FileFetch]) -> Vec<DownloadRequest> {
    files
        .iter()
        .map(|f| DownloadRequest {
            size: Some(f.size),
            sha256: f.sha256,
            max_size: Some(f.size),
            ..DownloadRequest::new(DownloadSource::Path(f.path.clone()))
        })
        .collect()
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
        self.downloader()
            .download_reporting(self.blobs(), &requests(files), progress)
            .await
            .into_iter()
            .zip(files)
            .map(|(result, file)| {
                result
                    .map(|done| done.blob)
                    .map_err(|e| fetch_failed(&file.path, &e))
            })
            .collect()
    }

    async fn fetch_each(
        &self,
        files: &[FileFetch],
        progress: &watch::Sender<DownloadProgress>,
        done: &mut (dyn FnMut(usize, Result<BlobInfo, LibraryError>) + Send),
    ) {
        self.downloader()
            .download_each(
                self.blobs(),
                &requests(files),
                progress,
                &mut |index, result| {
                    let result = result
                        .map(|done| done.blob)
                        .map_err(|e| fetch_failed(&files[index].path, &e));
                    done(index, result);
                },
            )
            .await;
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

/// An item whose wanted files all have their outcome: its index in the items given
/// to [`fill_each`], the item (the digests of the files that arrived set), and `Ok` when
/// every wanted file arrived, else the first failure.
pub(crate) type Filled = (usize, Synced, Result<(), LibraryError>);

/// Downloads the content `items` lack through `fetcher` (one run of the download engine
/// for all of them, so its parallel downloads never wait for a batch to end), publishing
/// on `progress`, and sends each item on `ready` as soon as its last wanted file has its
/// outcome (an item that wants nothing at once), for the caller to store while the
/// rest downloads.
pub(crate) async fn fill_each(
    fetcher: &dyn ContentFetcher,
    items: Vec<Synced>,
    optional: bool,
    progress: &watch::Sender<DownloadProgress>,
    ready: &mpsc::UnboundedSender<Filled>,
) {
    let mut files = Vec::new();
    let mut owners = Vec::new();
    let mut waiting = Vec::with_capacity(items.len());
    let mut held = Vec::with_capacity(items.len());
    for (item, synced) in items.into_iter().enumerate() {
        let want = wanted(&synced, optional);
        waiting.push(want.len());
        for (file, fetch) in want {
            owners.push((item, file));
            files.push(fetch);
        }
        if waiting[item] == 0 {
            // The receiver may be gone (the sync was dropped): nothing to hand over.
            let _ = ready.send((item, synced, Ok(())));
            held.push(None);
        } else {
            held.push(Some((synced, Ok(()))));
        }
    }
    fetcher
        .fetch_each(&files, progress, &mut |index, result| {
            let (item, file) = owners[index];
            let Some((synced, outcome)) = held[item].as_mut() else {
                return;
            };
            match result {
                Ok(blob) => synced.files[file].digest = Some(blob.digest),
                Err(e) => {
                    if outcome.is_ok() {
                        *outcome = Err(e);
                    }
                }
            }
            waiting[item] -= 1;
            if waiting[item] == 0
                && let Some((synced, outcome)) = held[item].take()
            {
                let _ = ready.send((item, synced, outcome));
            }
        })
        .await;
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
