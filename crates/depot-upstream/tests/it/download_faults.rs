//! The download engine against the fault-injecting upstream: unreachable, 401, 404,
//! 500 then success, Retry-After, slow and stalled publishers, a full disk, a proxy, and
//! credentials kept from other hosts.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use depot_blobs::{BlobStore as _, FsBlobStore};
use depot_upstream::{
    DepotAuth, DepotClient, DownloadRequest, DownloadSettings, DownloadSource, Downloader, Secret,
    Unavailable, UpstreamError,
};

use crate::download::{at, downloader, one};
use crate::publisher::{File, Publisher};
use crate::upstream::{RawServer, SMALL_BODY, Upstream, big_content, closed_port};
use crate::{assert_empty, settings, store};

#[tokio::test]
async fn unreachable_401_and_404() {
    let (store, _dir) = store().await;
    let base = format!("http://127.0.0.1:{}/", closed_port());
    let err = one(&downloader(&base, 4), &store, at("f"))
        .await
        .unwrap_err();
    let UpstreamError::NotAvailable {
        cause, attempts, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((cause, *attempts), (&Unavailable::Refused, 3));

    let upstream = Upstream::http().await;
    let downloader = downloader(&upstream.url(""), 4);
    let requests = [at("status/401/file"), at("missing/file")];
    let results = downloader.download(&store, &requests).await;
    let codes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap_err().code())
        .collect();
    assert_eq!(codes, ["DEPOT_INVALID_CREDENTIAL", "DEPOT_FILE_NOT_FOUND"]);
    assert_eq!(upstream.hits.get("/status/401/file"), 1, "not retried");
    assert_eq!(upstream.hits.get("/missing/file"), 1, "not retried");
    assert_empty(&store).await;
}

#[tokio::test]
async fn server_errors_then_success_and_retry_after() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let downloader = downloader(&upstream.url(""), 4);

    let done = one(&downloader, &store, at("flaky/2/file")).await.unwrap();
    assert_eq!(
        (done.attempts, done.blob.size),
        (3, SMALL_BODY.len() as u64)
    );

    let started = Instant::now();
    let done = one(&downloader, &store, at("retry-after/1/file"))
        .await
        .unwrap();
    assert_eq!(done.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn slow_publishers_pass_and_stalled_ones_fail() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));
    settings.timeouts.read = Duration::from_millis(400);
    settings.retry.max_retries = 1;
    let downloader = Downloader::new(
        DepotClient::new(&settings).unwrap(),
        DownloadSettings::default(),
    );

    // 10 chunks 100 ms apart: longer than the read timeout in total, never silent that long.
    let done = one(&downloader, &store, at("slow/10/100/file"))
        .await
        .unwrap();
    assert_eq!((done.blob.size, done.attempts), (10 * 1024, 1));

    let err = one(&downloader, &store, at("slow/3/2000/file"))
        .await
        .unwrap_err();
    let UpstreamError::NotAvailable {
        cause, attempts, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (cause, *attempts),
        (&Unavailable::Stalled(Duration::from_millis(400)), 2)
    );
    assert_eq!(store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_full_disk_is_a_clear_error_and_leaves_nothing() {
    let Some(fs) = Tmpfs::mount("a_full_disk_is_a_clear_error_and_leaves_nothing") else {
        return;
    };
    let store = FsBlobStore::open(fs.0.path()).await.unwrap();
    let publisher = Publisher::start().await;
    publisher.add("big", File::new(big_content(1)));
    let upstream = Upstream::http().await;

    // The announced size does not fit: refused before any byte is written.
    let err = one(&downloader(&publisher.base(), 4), &store, at("big"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DEPOT_STORE_FULL", "{err}");
    assert!(
        matches!(
            err,
            UpstreamError::StoreFull {
                needed: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("not enough space"), "{err}");
    assert_empty(&store).await;

    // No size announced: the disk fills up while writing.
    let err = one(
        &downloader(&upstream.url(""), 4),
        &store,
        at("big-chunked/1/file"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "DEPOT_STORE_FULL", "{err}");
    assert!(matches!(err, UpstreamError::Store { .. }), "{err:?}");
    assert_empty(&store).await;
    drop(store);
}

#[tokio::test]
async fn downloads_go_through_the_proxy() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec();
    response.extend_from_slice(b"hello");
    let proxy = RawServer::start(response).await;
    let (store, _dir) = store().await;
    let mut settings = settings("http://depot.invalid/depot");
    settings.proxy_url = Some(format!("http://{}", proxy.addr));
    let client = DepotClient::new(&settings).unwrap();
    let downloader = Downloader::new(client, DownloadSettings::default());

    let done = one(&downloader, &store, at("files/a.json")).await.unwrap();

    assert_eq!(done.blob.size, 5);
    let requests = proxy.requests.lock().unwrap().clone();
    assert!(
        requests[0].starts_with("GET http://depot.invalid/depot/files/a.json HTTP/1.1\r\n"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn credentials_go_only_to_the_depot_s_own_origin() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n".to_vec();
    response.extend_from_slice(b"ok");
    let depot = RawServer::start(response.clone()).await;
    let elsewhere = RawServer::start(response).await;
    let (store, _dir) = store().await;
    let mut settings = settings(&format!("http://{}/depot/", depot.addr));
    settings.auth = DepotAuth::Basic {
        username: "u".to_owned(),
        password: Secret::new("pw"),
    };
    let downloader = Downloader::new(
        DepotClient::new(&settings).unwrap(),
        DownloadSettings::default(),
    );
    let url = |addr| DownloadRequest::new(DownloadSource::Url(format!("http://{addr}/x/f")));

    let results = downloader
        .download(&store, &[url(depot.addr), url(elsewhere.addr)])
        .await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let auth = |server: &RawServer| server.requests.lock().unwrap()[0].contains("authorization:");
    assert!(auth(&depot), "same origin: credentials sent");
    assert!(!auth(&elsewhere), "another origin: no credentials");
    let bad = DownloadRequest::new(DownloadSource::Url("ftp://x/f".to_owned()));
    let err = one(&downloader, &store, bad).await.unwrap_err();
    assert_eq!(err.code(), "DEPOT_BAD_URL");
}

/// A 64 KiB tmpfs on a temp dir (root only; the test is skipped otherwise).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self(dir)),
            other => {
                println!("{test}: skipped, cannot mount a tmpfs (needs root): {other:?}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let path: &Path = self.0.path();
        let _ = Command::new("umount").arg(path).output();
    }
}
