//! [`Downloader`]: batches of files from one depot into a blob store, several at a time,
//! each streamed into a staged write that a broken connection does not lose: the next
//! attempt asks for the rest (`Range` + `If-Range`) and continues it.

mod backoff;
mod limit;
mod progress;
mod resume;

use std::num::NonZeroU64;
use std::sync::Arc;

use depot_blobs::{BlobInfo, BlobStore, Checksum, Sha256Digest};
use futures_util::StreamExt as _;
use tokio::sync::watch;

use crate::client::DepotClient;
use crate::error::UpstreamError;
use crate::location::{DepotPath, Target};

pub use self::limit::RateLimit;
pub use self::progress::DownloadProgress;
use self::progress::Tracker;
use self::resume::FileDownload;

/// Where a file is: a path relative to the depot's base URL (the usual case, with the
/// download token put in by the client), or an absolute URL that a depot's index names.
/// The depot's credentials go only to URLs on the depot's own origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadSource {
    /// Relative to the base URL.
    Path(DepotPath),
    /// An absolute http(s) URL (checked when the download starts).
    Url(String),
}

/// One file to download, and what the caller knows about it. Every field that is set is
/// checked while streaming or before the blob is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// Where the file is.
    pub source: DownloadSource,
    /// Its size, if known (a manifest's): a depot announcing or sending another size fails
    /// the file with `DEPOT_SIZE_MISMATCH`.
    pub size: Option<u64>,
    /// Its SHA-256, if known: when the store holds that blob already, nothing is
    /// downloaded; other content fails with `DEPOT_DIGEST_MISMATCH`.
    pub sha256: Option<Sha256Digest>,
    /// Another checksum the file must have (MD5, SHA-1, SHA-512 of a manifest).
    pub checksum: Option<Checksum>,
    /// Size cap; `None`: the client's `max_file_size`.
    pub max_size: Option<u64>,
}

impl DownloadRequest {
    /// A request for `source` with nothing known about the file.
    pub fn new(source: DownloadSource) -> Self {
        Self {
            source,
            size: None,
            sha256: None,
            checksum: None,
            max_size: None,
        }
    }
}

/// A file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The blob (digest and size).
    pub blob: BlobInfo,
    /// Requests it took (0: the store held the blob already).
    pub attempts: u32,
    /// Requests that continued a partly received file with `Range`, and got the rest.
    pub resumed: u32,
}

/// How a [`Downloader`] works through a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadSettings {
    /// Files downloaded at the same time.
    pub parallel: usize,
    /// A bandwidth limit for each batch (on top of any overall limit).
    pub batch_bytes_per_second: Option<NonZeroU64>,
}

impl Default for DownloadSettings {
    fn default() -> Self {
        Self {
            parallel: 4,
            batch_bytes_per_second: None,
        }
    }
}

/// Downloads batches of files from one depot (see the crate docs). The retry policy,
/// timeouts, TLS trust, proxy and credentials are the [`DepotClient`]'s.
///
/// Cancel a batch by dropping its future: the downloads stop, and what they had received
/// is removed (no partial blob is ever visible).
#[derive(Debug, Clone)]
pub struct Downloader {
    client: DepotClient,
    settings: DownloadSettings,
    overall: Option<Arc<RateLimit>>,
}

impl Downloader {
    /// A downloader using `client`.
    pub fn new(client: DepotClient, settings: DownloadSettings) -> Self {
        Self {
            client,
            settings,
            overall: None,
        }
    }

    /// Also keeps to `limit`, which the caller may share with other downloaders (the
    /// server's overall bandwidth limit).
    #[must_use]
    pub fn with_overall_limit(mut self, limit: Arc<RateLimit>) -> Self {
        self.overall = Some(limit);
        self
    }

    /// Downloads `requests` into `store`; the results are in the order of the requests.
    pub async fn download(
        &self,
        store: &dyn BlobStore,
        requests: &[DownloadRequest],
    ) -> Vec<Result<Downloaded, UpstreamError>> {
        let (progress, _) = watch::channel(DownloadProgress::default());
        self.download_reporting(store, requests, &progress).await
    }

    /// [`download`](Self::download), publishing the batch's progress on `progress`.
    pub async fn download_reporting(
        &self,
        store: &dyn BlobStore,
        requests: &[DownloadRequest],
        progress: &watch::Sender<DownloadProgress>,
    ) -> Vec<Result<Downloaded, UpstreamError>> {
        let mut results = Vec::with_capacity(requests.len());
        self.download_each(store, requests, progress, &mut |index, result| {
            results.push((index, result));
        })
        .await;
        results.sort_unstable_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// [`download_reporting`](Self::download_reporting), handing each file's outcome (with
    /// its index in `requests`) to `done` as soon as it is known, so that the caller can
    /// use a file while the others still download (`done` should not wait: they make no
    /// progress meanwhile). Returns when every file has had its outcome.
    #[tracing::instrument(name = "depot_download", skip_all, fields(files = requests.len()))]
    pub async fn download_each(
        &self,
        store: &dyn BlobStore,
        requests: &[DownloadRequest],
        progress: &watch::Sender<DownloadProgress>,
        done: &mut (dyn FnMut(usize, Result<Downloaded, UpstreamError>) + Send),
    ) {
        let tracker = Tracker::start(progress, requests.iter().map(|r| r.size));
        let batch = self.settings.batch_bytes_per_second.map(RateLimit::new);
        let limits: Vec<&RateLimit> = self.overall.as_deref().into_iter().chain(&batch).collect();
        // Built up front, each by a named `async fn`: a closure returning an `async` block
        // held across the awaits below makes the future fail to prove `Send` (rustc's
        // "FnOnce is not general enough"), and callers run this in spawned tasks.
        let mut files = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            let file = FileDownload {
                client: &self.client,
                store,
                request,
                limits: &limits,
                progress: &tracker,
            };
            files.push(run_indexed(index, file));
        }
        let mut finished =
            futures_util::stream::iter(files).buffer_unordered(self.settings.parallel.max(1));
        while let Some((index, result)) = finished.next().await {
            done(index, result);
        }
    }
}

/// One file's download, tagged with its place in the batch.
async fn run_indexed(
    index: usize,
    file: FileDownload<'_>,
) -> (usize, Result<Downloaded, UpstreamError>) {
    (index, file.run().await)
}

impl DepotClient {
    /// The URL of a download and whether the depot's credentials go with it.
    fn download_target(&self, source: &DownloadSource) -> Result<(Target, bool), UpstreamError> {
        match source {
            DownloadSource::Path(path) => Ok((self.locator.target(path), true)),
            DownloadSource::Url(url) => self.locator.absolute(url),
        }
    }
}
