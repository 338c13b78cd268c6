//! Failures: refused, unknown host, 4xx, 5xx with retries, Retry-After, slow and cut-off
//! bodies, and a proxy.

use std::time::{Duration, Instant};

use depot_upstream::{DepotClient, Unavailable, UpstreamError};

use crate::upstream::{RawServer, SMALL_BODY, Upstream, closed_port};
use crate::{assert_empty, fetch, fetched, settings, store};

#[tokio::test]
async fn refused_connection_is_not_available_after_retries() {
    let (store, _dir) = store().await;
    let base = format!("http://127.0.0.1:{}/", closed_port());
    let client = DepotClient::new(&settings(&base)).unwrap();

    let err = fetch(&client, &store, "files/small.json")
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_NOT_AVAILABLE", "{err}");
    let UpstreamError::NotAvailable {
        cause, attempts, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((cause, *attempts), (&Unavailable::Refused, 3));
    assert!(err.to_string().contains("connection refused"), "{err}");
}

#[tokio::test]
async fn unknown_host_is_reported_without_retry() {
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings("http://depot.invalid/")).unwrap();

    let err = fetch(&client, &store, "files/small.json")
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_UNKNOWN_HOST", "{err}");
    assert!(err.to_string().contains("depot.invalid"), "{err}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url("depot/"))).unwrap();
    let err = fetch(&client, &store, "missing/file.json")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DEPOT_FILE_NOT_FOUND", "{err}");
    assert!(
        err.to_string().contains("/depot/missing/file.json"),
        "{err}"
    );
    assert_eq!(upstream.hits.get("/depot/missing/file.json"), 1);

    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    for (status, code) in [
        (401, "DEPOT_INVALID_CREDENTIAL"),
        (403, "DEPOT_INVALID_CREDENTIAL"),
        (400, "DEPOT_UNEXPECTED_RESPONSE"),
        (416, "DEPOT_UNEXPECTED_RESPONSE"),
    ] {
        let file = format!("status/{status}/file");
        let err = fetch(&client, &store, &file).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(
            upstream.hits.get(&format!("/{file}")),
            1,
            "{status} not retried"
        );
    }
    assert_empty(&store).await;
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();

    let got = fetched(fetch(&client, &store, "flaky/2/file").await.unwrap());

    assert_eq!(got.attempts, 3);
    assert_eq!(upstream.hits.get("/flaky/2/file"), 3);
    assert_eq!(got.blob.size, SMALL_BODY.len() as u64);
}

#[tokio::test]
async fn persistent_server_errors_give_up_after_the_retries() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();

    for status in [500, 503, 429] {
        let file = format!("status/{status}/file");
        let err = fetch(&client, &store, &file).await.unwrap_err();
        assert_eq!(err.code(), "DEPOT_NOT_AVAILABLE", "{err}");
        let UpstreamError::NotAvailable {
            cause, attempts, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((cause, *attempts), (&Unavailable::Status(status), 3));
        assert_eq!(upstream.hits.get(&format!("/{file}")), 3);
    }
}

#[tokio::test]
async fn short_retry_after_is_honoured() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    let started = Instant::now();

    let got = fetched(fetch(&client, &store, "retry-after/1/file").await.unwrap());

    assert_eq!(got.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn long_retry_after_fails_at_once() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();

    let err = fetch(&client, &store, "retry-after/3600/file")
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_NOT_AVAILABLE", "{err}");
    assert!(
        err.to_string().contains("asked to retry after 3600s"),
        "{err}"
    );
    assert_eq!(upstream.hits.get("/retry-after/3600/file"), 1);
}

#[tokio::test]
async fn stalled_body_fails_on_the_read_timeout() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));
    settings.timeouts.read = Duration::from_millis(300);
    settings.retry.max_retries = 1;
    let client = DepotClient::new(&settings).unwrap();

    let err = fetch(&client, &store, "slow/3/2000/file")
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_NOT_AVAILABLE", "{err}");
    let UpstreamError::NotAvailable {
        cause, attempts, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (cause, *attempts),
        (&Unavailable::Stalled(Duration::from_millis(300)), 2)
    );
    assert!(err.to_string().contains("sent no data for 0.3s"), "{err}");
    assert_empty(&store).await;
}

#[tokio::test]
async fn slow_body_within_the_read_timeout_succeeds() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));
    settings.timeouts.read = Duration::from_millis(500);
    let client = DepotClient::new(&settings).unwrap();

    // 10 chunks 100 ms apart: 0.9 s in total, longer than the read timeout.
    let got = fetched(fetch(&client, &store, "slow/10/100/file").await.unwrap());

    assert_eq!((got.blob.size, got.attempts), (10 * 1024, 1));
}

#[tokio::test]
async fn request_timeout_bounds_the_whole_request() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));
    settings.timeouts.request = Some(Duration::from_millis(400));
    settings.retry.max_retries = 0;
    let client = DepotClient::new(&settings).unwrap();

    let err = fetch(&client, &store, "slow/10/100/file")
        .await
        .unwrap_err();

    let UpstreamError::NotAvailable { cause, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        cause,
        &Unavailable::RequestTimeout(Duration::from_millis(400))
    );
    assert_empty(&store).await;
}

#[tokio::test]
async fn truncated_body_is_retried_then_fails_without_a_blob() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nETag: \"t\"\r\n\r\n".to_vec();
    response.extend_from_slice(&[b'x'; 1000]);
    let server = RawServer::start(response).await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&format!("http://{}/", server.addr))).unwrap();

    let err = fetch(&client, &store, "files/big.iso").await.unwrap_err();

    assert_eq!(err.code(), "DEPOT_TRUNCATED_DOWNLOAD", "{err}");
    let UpstreamError::Truncated {
        received,
        expected,
        attempts,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*received, *expected, *attempts), (1000, Some(100_000), 3));
    assert_eq!(server.count(), 3);
    assert_empty(&store).await;
}

#[tokio::test]
async fn requests_go_through_the_proxy() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec();
    response.extend_from_slice(b"hello");
    let proxy = RawServer::start(response).await;
    let (store, _dir) = store().await;
    let mut settings = settings("http://depot.invalid/depot");
    settings.proxy_url = Some(format!("http://{}", proxy.addr));
    let client = DepotClient::new(&settings).unwrap();

    let got = fetched(fetch(&client, &store, "files/a.json").await.unwrap());

    assert_eq!(got.blob.size, 5);
    let requests = proxy.requests.lock().unwrap().clone();
    assert!(
        requests[0].starts_with("GET http://depot.invalid/depot/files/a.json HTTP/1.1\r\n"),
        "{requests:?}"
    );
}
