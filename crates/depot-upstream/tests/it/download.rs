//! The download engine against a publisher that serves ranges: resume after a cut,
//! a changed file, ranges ignored, checks, parallelism, bandwidth, progress, cancel.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use depot_blobs::{
    BlobStore as _, Checksum, ChecksumAlgorithm, Expected, FsBlobStore, Sha256Digest,
};
use depot_upstream::{
    DepotClient, DownloadProgress, DownloadRequest, DownloadSettings, DownloadSource, Downloaded,
    Downloader, RateLimit, UpstreamError,
};
use sha1::Digest as _;
use tokio::sync::watch;

use crate::publisher::{Fault, File, Publisher};
use crate::upstream::{RawServer, big_content};
use crate::{assert_empty, path, settings, store};

pub fn downloader(base: &str, parallel: usize) -> Downloader {
    let client = DepotClient::new(&settings(base)).unwrap();
    let settings = DownloadSettings {
        parallel,
        ..DownloadSettings::default()
    };
    Downloader::new(client, settings)
}

pub fn at(name: &str) -> DownloadRequest {
    DownloadRequest::new(DownloadSource::Path(path(name)))
}

/// Downloads one file.
pub async fn one(
    downloader: &Downloader,
    store: &FsBlobStore,
    request: DownloadRequest,
) -> Result<Downloaded, UpstreamError> {
    let mut results = downloader.download(store, &[request]).await;
    assert_eq!(results.len(), 1);
    results.pop().unwrap()
}

pub async fn content_of(store: &FsBlobStore, done: &Downloaded) -> Vec<u8> {
    store.read_all(&done.blob.digest, 1 << 30).await.unwrap()
}

/// Asserts the store holds exactly `content`, and no temp file.
async fn assert_holds(store: &FsBlobStore, done: &Downloaded, content: &[u8]) {
    assert_eq!(done.blob.digest, Sha256Digest::compute(content));
    assert_eq!(content_of(store, done).await, content);
    assert_eq!(store.list().await.unwrap().len(), 1);
    let tmp = store.root().join("tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}

#[tokio::test]
async fn a_cut_connection_resumes_with_range_and_if_range() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    publisher.add(
        "big.iso",
        File::new(content.clone()).fault(Fault::CutAfter(300_000)),
    );
    let (store, _dir) = store().await;
    let sha1 = hex::encode(sha1::Sha1::digest(&content));
    let request = DownloadRequest {
        size: Some(content.len() as u64),
        sha256: Some(Sha256Digest::compute(&content)),
        checksum: Some(Checksum::from_hex(ChecksumAlgorithm::Sha1, &sha1).unwrap()),
        ..at("big.iso")
    };

    let done = one(&downloader(&publisher.base(), 4), &store, request)
        .await
        .unwrap();

    assert_eq!((done.attempts, done.resumed), (2, 1));
    let served = publisher.served("big.iso");
    assert_eq!(served.len(), 2);
    assert_eq!((served[0].range.as_deref(), served[0].status), (None, 200));
    assert_eq!(served[0].sent(), 300_000);
    assert_eq!(served[1].range.as_deref(), Some("bytes=300000-"));
    assert_eq!(served[1].if_range.as_deref(), Some("\"v1\""));
    assert_eq!(served[1].status, 206);
    // The first 300,000 bytes were not sent again.
    assert_eq!(served[1].sent(), content.len() as u64 - 300_000);
    assert_holds(&store, &done, &content).await;
}

#[tokio::test]
async fn a_file_changed_between_attempts_starts_over() {
    let publisher = Publisher::start().await;
    let old = big_content(1);
    let new: Vec<u8> = old.iter().rev().copied().take(900_000).collect();
    let replace = Fault::CutThenReplace(300_000, new.clone(), "\"v2\"");
    publisher.add("item.ova", File::new(old).fault(replace));
    let (store, _dir) = store().await;

    let done = one(&downloader(&publisher.base(), 4), &store, at("item.ova"))
        .await
        .unwrap();

    let served = publisher.served("item.ova");
    assert_eq!(served[1].range.as_deref(), Some("bytes=300000-"));
    assert_eq!(served[1].if_range.as_deref(), Some("\"v1\""));
    assert_eq!((served[1].status, served[1].sent()), (200, 900_000));
    assert_eq!((done.attempts, done.resumed), (2, 0));
    assert_holds(&store, &done, &new).await;
}

#[tokio::test]
async fn a_server_ignoring_range_starts_over() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    let file = File {
        ranges: false,
        ..File::new(content.clone()).fault(Fault::CutAfter(400_000))
    };
    publisher.add("f.bin", file);
    let (store, _dir) = store().await;

    let done = one(&downloader(&publisher.base(), 4), &store, at("f.bin"))
        .await
        .unwrap();

    let served = publisher.served("f.bin");
    assert_eq!(served[1].range.as_deref(), Some("bytes=400000-"));
    assert_eq!(
        (served[1].status, served[1].sent()),
        (200, content.len() as u64)
    );
    assert_eq!(done.resumed, 0);
    assert_holds(&store, &done, &content).await;
}

#[tokio::test]
async fn validators_decide_whether_to_resume() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    let date = "Fri, 21 Mar 2025 09:42:55 GMT";
    let cut = || Fault::CutAfter(200_000);
    let dated = File {
        etag: Some("W/\"weak\""),
        last_modified: Some(date),
        ..File::new(content.clone()).fault(cut())
    };
    let bare = File {
        etag: None,
        ..File::new(content.clone()).fault(cut())
    };
    publisher.add("dated", dated);
    publisher.add("bare", bare);
    let (store, _dir) = store().await;
    let downloader = downloader(&publisher.base(), 4);

    let done = one(&downloader, &store, at("dated")).await.unwrap();
    let served = publisher.served("dated");
    assert_eq!(
        served[1].if_range.as_deref(),
        Some(date),
        "a weak ETag is not used"
    );
    assert_eq!((served[1].status, done.resumed), (206, 1));

    // Without a validator a resumed file could mix two versions: start over instead.
    let done = one(&downloader, &store, at("bare")).await.unwrap();
    let served = publisher.served("bare");
    assert_eq!((served[1].range.as_deref(), served[1].status), (None, 200));
    assert_eq!(done.resumed, 0);
    assert_eq!(content_of(&store, &done).await, content);
}

#[tokio::test]
async fn a_truncated_file_fails_after_the_retries_without_a_blob() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nETag: \"t\"\r\n\r\n".to_vec();
    response.extend_from_slice(&[b'x'; 1000]);
    let server = RawServer::start(response).await;
    let (store, _dir) = store().await;
    let base = format!("http://{}/", server.addr);

    let err = one(&downloader(&base, 4), &store, at("files/big.iso"))
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_TRUNCATED_DOWNLOAD", "{err}");
    let UpstreamError::Truncated { attempts, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 3);
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests[1].contains("range: bytes=1000-\r\n"),
        "{requests:?}"
    );
    assert!(requests[1].contains("if-range: \"t\"\r\n"), "{requests:?}");
    assert_empty(&store).await;
}

#[tokio::test]
async fn size_digest_or_checksum_other_than_expected_fail_without_a_blob() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    publisher.add("f", File::new(content.clone()));
    let (store, _dir) = store().await;
    let downloader = downloader(&publisher.base(), 4);
    let wrong_sha1 = Checksum::from_hex(ChecksumAlgorithm::Sha1, &"ab".repeat(20)).unwrap();
    let cases = [
        (
            DownloadRequest {
                size: Some(999),
                ..at("f")
            },
            "DEPOT_SIZE_MISMATCH",
        ),
        (
            DownloadRequest {
                sha256: Some(Sha256Digest::compute(b"other")),
                ..at("f")
            },
            "DEPOT_DIGEST_MISMATCH",
        ),
        (
            DownloadRequest {
                checksum: Some(wrong_sha1),
                ..at("f")
            },
            "DEPOT_DIGEST_MISMATCH",
        ),
        (
            DownloadRequest {
                max_size: Some(1000),
                ..at("f")
            },
            "DEPOT_FILE_TOO_LARGE",
        ),
    ];
    for (request, code) in cases {
        let err = one(&downloader, &store, request).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_empty(&store).await;
    }
    // None of them was retried.
    assert_eq!(publisher.served("f").len(), 4);
}

#[tokio::test]
async fn content_already_stored_is_not_downloaded_again() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    publisher.add("f", File::new(content.clone()));
    let (store, _dir) = store().await;
    let stored = store
        .put(&mut content.as_slice(), Expected::default())
        .await
        .unwrap();
    let request = DownloadRequest {
        sha256: Some(stored.digest),
        ..at("f")
    };
    let (progress, watcher) = watch::channel(DownloadProgress::default());

    let results = downloader(&publisher.base(), 4)
        .download_reporting(&store, &[request], &progress)
        .await;

    let done = results[0].as_ref().unwrap();
    assert_eq!((done.blob, done.attempts), (stored, 0));
    assert!(publisher.served("f").is_empty());
    let p = *watcher.borrow();
    assert_eq!(
        (p.bytes_done, p.bytes_total, p.files_done),
        (stored.size, stored.size, 1)
    );
}

#[tokio::test]
async fn files_download_in_parallel_up_to_the_setting() {
    let publisher = Publisher::start().await;
    let contents: Vec<Vec<u8>> = (0..6u8)
        .map(|n| big_content(1)[..256 * 1024].iter().map(|b| b ^ n).collect())
        .collect();
    for (n, content) in contents.iter().enumerate() {
        let file = File {
            pace: Duration::from_millis(15),
            ..File::new(content.clone())
        };
        publisher.add(&format!("f{n}"), file);
    }
    let (store, _dir) = store().await;
    let requests: Vec<_> = (0..6).map(|n| at(&format!("f{n}"))).collect();

    let results = downloader(&publisher.base(), 3)
        .download(&store, &requests)
        .await;

    assert_eq!(publisher.max_in_flight(), 3);
    for (result, content) in results.iter().zip(&contents) {
        let done = result.as_ref().unwrap();
        assert_eq!(
            done.blob.digest,
            Sha256Digest::compute(content),
            "in request order"
        );
    }
}

#[tokio::test]
async fn each_outcome_is_handed_over_as_soon_as_it_is_known() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    let slow = File {
        pace: Duration::from_millis(20),
        ..File::new(content.clone())
    };
    publisher.add("slow", slow);
    publisher.add("fast", File::new(content[..1000].to_vec()));
    let (store, _dir) = store().await;
    let requests = [at("slow"), at("fast"), at("absent")];
    let (progress, _) = watch::channel(DownloadProgress::default());
    let started = Instant::now();
    let mut handed = Vec::new();

    downloader(&publisher.base(), 3)
        .download_each(&store, &requests, &progress, &mut |index, result| {
            handed.push((index, result.is_ok(), started.elapsed()));
        })
        .await;

    let order: Vec<(usize, bool)> = handed.iter().map(|(i, ok, _)| (*i, *ok)).collect();
    assert_eq!(order.len(), 3, "{handed:?}");
    assert_eq!(order[2], (0, true), "the slow file comes last: {handed:?}");
    assert!(order[..2].contains(&(1, true)) && order[..2].contains(&(2, false)));
    // The fast file was handed over while the slow one was still downloading.
    let fast_at = handed.iter().find(|(i, _, _)| *i == 1).unwrap().2;
    let slow_at = handed[2].2;
    assert!(fast_at * 2 < slow_at, "{handed:?}");
}

#[tokio::test]
async fn batch_and_shared_bandwidth_limits_hold() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    publisher.add("a", File::new(content[..512 * 1024].to_vec()));
    publisher.add("b", File::new(content[512 * 1024..].to_vec()));
    let (store, _dir) = store().await;
    let rate = NonZeroU64::new(512 * 1024).unwrap();

    // One batch limited to 512 KiB/s: 1 MiB takes about 2 s.
    let client = DepotClient::new(&settings(&publisher.base())).unwrap();
    let limited = DownloadSettings {
        batch_bytes_per_second: Some(rate),
        ..DownloadSettings::default()
    };
    let started = Instant::now();
    let results = Downloader::new(client.clone(), limited)
        .download(&store, &[at("a"), at("b")])
        .await;
    assert!(results.iter().all(Result::is_ok));
    assert!(
        started.elapsed() >= Duration::from_millis(1700),
        "{:?}",
        started.elapsed()
    );

    // Two downloaders sharing one overall limit of 512 KiB/s.
    let (store, _dir) = crate::store().await;
    let overall = Arc::new(RateLimit::new(rate));
    let first = Downloader::new(client.clone(), DownloadSettings::default())
        .with_overall_limit(overall.clone());
    let second = Downloader::new(client, DownloadSettings::default()).with_overall_limit(overall);
    let (a, b) = ([at("a")], [at("b")]);
    let started = Instant::now();
    let (a, b) = tokio::join!(first.download(&store, &a), second.download(&store, &b));
    assert!(a[0].is_ok() && b[0].is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(1700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn progress_counts_bytes_and_files() {
    let publisher = Publisher::start().await;
    let content = big_content(1);
    let paced = File {
        pace: Duration::from_millis(5),
        ..File::new(content.clone()).fault(Fault::CutAfter(500_000))
    };
    publisher.add("sized", paced);
    publisher.add("unsized", File::new(content[..1000].to_vec()));
    let (store, _dir) = store().await;
    let requests = [
        DownloadRequest {
            size: Some(content.len() as u64),
            ..at("sized")
        },
        at("unsized"),
    ];
    let (progress, mut watcher) = watch::channel(DownloadProgress::default());
    let seen = tokio::spawn(async move {
        let mut seen = Vec::new();
        while watcher.changed().await.is_ok() {
            seen.push(*watcher.borrow_and_update());
        }
        seen
    });

    let results = downloader(&publisher.base(), 2)
        .download_reporting(&store, &requests, &progress)
        .await;
    drop(progress);

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let seen = seen.await.unwrap();
    let total = content.len() as u64 + 1000;
    let last = *seen.last().unwrap();
    let want = DownloadProgress {
        bytes_done: total,
        bytes_total: total,
        files_total: 2,
        files_done: 2,
        files_failed: 0,
        files_unsized: 0,
    };
    assert_eq!(last, want);
    assert!(
        seen.iter()
            .any(|p| p.bytes_done > 0 && p.bytes_done < p.bytes_total),
        "{seen:?}"
    );
}

#[tokio::test]
async fn dropping_the_download_leaves_nothing() {
    let publisher = Publisher::start().await;
    let file = File {
        pace: Duration::from_millis(20),
        ..File::new(big_content(1))
    };
    publisher.add("slow", file);
    let (store, _dir) = store().await;
    let downloader = downloader(&publisher.base(), 4);

    let cancelled = tokio::time::timeout(
        Duration::from_millis(400),
        downloader.download(&store, &[at("slow")]),
    )
    .await;

    assert!(cancelled.is_err(), "still running when dropped");
    assert!(publisher.served("slow")[0].sent() > 0);
    assert_empty(&store).await;
}
