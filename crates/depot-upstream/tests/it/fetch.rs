//! Successful and conditional downloads, size caps and digests.

use depot_blobs::{BlobStore as _, Sha256Digest};
use depot_upstream::{Conditional, DepotClient, FetchOutcome, FetchRequest, Validators};

use crate::upstream::{SMALL_BODY, SMALL_ETAG, SMALL_LAST_MODIFIED, Upstream, big_content};
use crate::{assert_empty, fetch, fetched, path, read_blob, settings, store};

#[tokio::test]
async fn downloads_into_the_store_with_validators() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();

    let got = fetched(fetch(&client, &store, "files/small.json").await.unwrap());

    assert_eq!(got.blob.digest, Sha256Digest::compute(SMALL_BODY));
    assert_eq!(got.blob.size, SMALL_BODY.len() as u64);
    assert_eq!(got.validators.etag.as_deref(), Some(SMALL_ETAG));
    assert_eq!(
        got.validators.last_modified.as_deref(),
        Some(SMALL_LAST_MODIFIED)
    );
    assert_eq!((got.attempts, got.unchanged), (1, false));
    assert_eq!(read_blob(&store, &got).await, SMALL_BODY);
}

#[tokio::test]
async fn matching_etag_or_date_gives_not_modified() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    let file = path("files/small.json");

    let by_etag = Conditional {
        etag: Some(SMALL_ETAG.to_owned()),
        ..Conditional::default()
    };
    let outcome = client.fetch(&store, &file, &by_etag.into()).await.unwrap();
    let expected = Validators {
        etag: Some(SMALL_ETAG.to_owned()),
        last_modified: Some(SMALL_LAST_MODIFIED.to_owned()),
    };
    assert_eq!(outcome, FetchOutcome::NotModified(expected.clone()));

    let by_date = Conditional {
        last_modified: Some(SMALL_LAST_MODIFIED.to_owned()),
        ..Conditional::default()
    };
    let outcome = client.fetch(&store, &file, &by_date.into()).await.unwrap();
    assert_eq!(outcome, FetchOutcome::NotModified(expected));
    assert_empty(&store).await;
}

#[tokio::test]
async fn stale_etag_downloads_and_reports_unchanged_content() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    let stale = Conditional {
        etag: Some("\"v41\"".to_owned()),
        last_modified: None,
        known_sha256: Some(Sha256Digest::compute(SMALL_BODY)),
    };

    let got = fetched(
        client
            .fetch(&store, &path("files/small.json"), &stale.into())
            .await
            .unwrap(),
    );

    assert!(got.unchanged);
    assert_eq!(got.validators.etag.as_deref(), Some(SMALL_ETAG));
}

#[tokio::test]
async fn big_body_streams_into_the_store() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    let content = big_content(24);
    let digest = Sha256Digest::compute(&content);

    for file in ["big/24/file", "big-chunked/24/file"] {
        let request = FetchRequest {
            expected_sha256: Some(digest),
            max_size: Some(24 << 20),
            ..FetchRequest::default()
        };
        let got = fetched(client.fetch(&store, &path(file), &request).await.unwrap());
        assert_eq!(
            (got.blob.digest, got.blob.size),
            (digest, 24 << 20),
            "{file}"
        );
    }
    assert_eq!(store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn size_cap_aborts_and_leaves_no_blob() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));
    settings.max_file_size = 4 << 20;
    let client = DepotClient::new(&settings).unwrap();

    // Announced too large: refused before reading; streamed too large: stopped at the cap.
    for file in ["big/8/file", "big-chunked/8/file"] {
        let err = fetch(&client, &store, file).await.unwrap_err();
        assert_eq!(err.code(), "DEPOT_FILE_TOO_LARGE", "{err}");
        assert!(
            err.to_string().contains(&format!(
                "/{file} is larger than the limit of 4194304 bytes"
            )),
            "{err}"
        );
        assert_eq!(upstream.hits.get(&format!("/{file}")), 1, "not retried");
    }
    assert_empty(&store).await;
}

#[tokio::test]
async fn wrong_digest_leaves_no_blob() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let client = DepotClient::new(&settings(&upstream.url(""))).unwrap();
    let request = FetchRequest {
        expected_sha256: Some(Sha256Digest::compute(b"something else")),
        ..FetchRequest::default()
    };

    let err = client
        .fetch(&store, &path("files/small.json"), &request)
        .await
        .unwrap_err();

    assert_eq!(err.code(), "DEPOT_DIGEST_MISMATCH", "{err}");
    assert_empty(&store).await;
}

#[tokio::test]
async fn base_url_path_is_kept() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    // The base URL ends in a directory; relative paths go below it.
    let client = DepotClient::new(&settings(&upstream.url("files/"))).unwrap();

    let got = fetched(fetch(&client, &store, "small.json").await.unwrap());

    assert_eq!(got.blob.digest, Sha256Digest::compute(SMALL_BODY));
}
