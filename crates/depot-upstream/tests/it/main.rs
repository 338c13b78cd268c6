//! Integration tests of `depot-upstream` against a real HTTP(S) upstream on 127.0.0.1.

mod auth;
mod download;
mod download_faults;
mod faults;
mod fetch;
mod probe;
mod publisher;
mod tls;
mod upstream;

use std::time::Duration;

use depot_blobs::{BlobStore as _, FsBlobStore};
use depot_upstream::{
    DepotClient, DepotPath, DepotSettings, FetchOutcome, FetchRequest, Fetched, RetryPolicy,
    Timeouts, UpstreamError,
};

/// Settings for `base_url` with quick retries and short timeouts.
pub fn settings(base_url: &str) -> DepotSettings {
    let mut settings = DepotSettings::new(base_url);
    settings.retry = RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    };
    settings.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        read: Duration::from_secs(5),
        request: None,
    };
    "files/small.json".clone_into(&mut settings.probe_path);
    settings
}

/// A real file-system blob store in a temp dir (keep the dir alive).
pub async fn store() -> (FsBlobStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    (store, dir)
}

/// Asserts the store holds no blob and no temp file.
pub async fn assert_empty(store: &FsBlobStore) {
    assert_eq!(store.list().await.unwrap(), []);
    let tmp = store.root().join("tmp");
    let leftovers: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(leftovers.is_empty(), "temp files left in {}", tmp.display());
}

pub fn path(text: &str) -> DepotPath {
    DepotPath::parse(text).unwrap()
}

/// Fetches `file` with no conditions.
pub async fn fetch(
    client: &DepotClient,
    store: &FsBlobStore,
    file: &str,
) -> Result<FetchOutcome, UpstreamError> {
    client
        .fetch(store, &path(file), &FetchRequest::default())
        .await
}

/// Unwraps a `Fetched`.
pub fn fetched(outcome: FetchOutcome) -> Fetched {
    match outcome {
        FetchOutcome::Fetched(fetched) => fetched,
        FetchOutcome::NotModified(v) => panic!("expected a download, got 304 ({v:?})"),
    }
}

/// Reads a whole blob.
pub async fn read_blob(store: &FsBlobStore, fetched: &Fetched) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let (mut reader, _) = store.open(&fetched.blob.digest).await.unwrap();
    let mut data = Vec::new();
    reader.read_to_end(&mut data).await.unwrap();
    data
}
