//! Basic authentication and the download token in the path; secrets never in messages.

use depot_upstream::{DepotAuth, DepotClient, Secret};

use crate::upstream::{BASIC_PASSWORD, BASIC_USER, TOKEN, Upstream};
use crate::{fetch, fetched, read_blob, settings, store};

#[tokio::test]
async fn basic_auth_is_sent_and_bad_passwords_are_rejected() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url(""));

    let err = fetch(&DepotClient::new(&settings).unwrap(), &store, "basic/file")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DEPOT_INVALID_CREDENTIAL", "{err}");

    settings.auth = DepotAuth::Basic {
        username: BASIC_USER.to_owned(),
        password: Secret::new("wrong-pw"),
    };
    let err = fetch(&DepotClient::new(&settings).unwrap(), &store, "basic/file")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DEPOT_INVALID_CREDENTIAL", "{err}");
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert!(!format!("{err} {err:?}").contains("wrong-pw"), "{err:?}");
    assert_eq!(upstream.hits.get("/basic/file"), 2, "401 is not retried");

    settings.auth = DepotAuth::Basic {
        username: BASIC_USER.to_owned(),
        password: Secret::new(BASIC_PASSWORD),
    };
    let client = DepotClient::new(&settings).unwrap();
    assert!(!format!("{client:?}").contains(BASIC_PASSWORD));
    fetched(fetch(&client, &store, "basic/file").await.unwrap());
}

#[tokio::test]
async fn download_token_goes_into_the_path_and_is_redacted() {
    let upstream = Upstream::http().await;
    let (store, _dir) = store().await;
    let mut settings = settings(&upstream.url("online"));
    settings.auth = DepotAuth::DownloadToken {
        token: Secret::new(TOKEN),
        path_template: "/{token}/PROD/{path}".to_owned(),
    };
    let client = DepotClient::new(&settings).unwrap();
    assert!(!format!("{client:?}").contains(TOKEN));

    let got = fetched(
        fetch(&client, &store, "COMP/ESX_HOST/index.xml")
            .await
            .unwrap(),
    );
    assert_eq!(read_blob(&store, &got).await, b"COMP/ESX_HOST/index.xml");
    assert_eq!(
        upstream
            .hits
            .get(&format!("/online/{TOKEN}/PROD/COMP/ESX_HOST/index.xml")),
        1
    );

    settings.auth = DepotAuth::DownloadToken {
        token: Secret::new("expired-token"),
        path_template: "{token}/PROD/{path}".to_owned(),
    };
    let client = DepotClient::new(&settings).unwrap();
    let err = fetch(&client, &store, "COMP/index.xml").await.unwrap_err();
    assert_eq!(err.code(), "DEPOT_INVALID_CREDENTIAL", "{err}");
    assert!(
        err.to_string().contains("/online/***/PROD/COMP/index.xml"),
        "{err}"
    );
    assert!(
        !format!("{err} {err:?}").contains("expired-token"),
        "{err:?}"
    );

    // A connection failure must not leak the token either (reqwest errors carry the URL).
    let mut settings = settings.clone();
    settings.base_url = format!("http://127.0.0.1:{}/online", crate::upstream::closed_port());
    settings.retry.max_retries = 0;
    let err = fetch(
        &DepotClient::new(&settings).unwrap(),
        &store,
        "COMP/index.xml",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "DEPOT_NOT_AVAILABLE", "{err}");
    let mut chain = format!("{err:?}");
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(cause) = source {
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    assert!(!chain.contains("expired-token"), "{chain}");
}
