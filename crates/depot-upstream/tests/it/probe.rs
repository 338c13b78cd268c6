//! `test_connection`: one status per failure class.

use depot_upstream::{ConnectionCode, DepotAuth, DepotClient, Secret};

use crate::settings;
use crate::upstream::{BASIC_PASSWORD, BASIC_USER, Upstream, closed_port};

#[tokio::test]
async fn statuses_for_each_failure_class() {
    let upstream = Upstream::http().await;
    let ok = settings(&upstream.url(""));
    let mut basic = settings(&upstream.url(""));
    "basic/file".clone_into(&mut basic.probe_path);
    basic.auth = DepotAuth::Basic {
        username: BASIC_USER.to_owned(),
        password: Secret::new("wrong"),
    };
    let mut good_basic = basic.clone();
    good_basic.auth = DepotAuth::Basic {
        username: BASIC_USER.to_owned(),
        password: Secret::new(BASIC_PASSWORD),
    };
    let mut missing = settings(&upstream.url(""));
    "no/such/catalog.json".clone_into(&mut missing.probe_path);
    let mut failing = settings(&upstream.url(""));
    "status/503/file".clone_into(&mut failing.probe_path);
    let cases = [
        (
            ok,
            ConnectionCode::Successful,
            "Depot connection successful",
        ),
        (good_basic, ConnectionCode::Successful, "successful"),
        (basic, ConnectionCode::InvalidCredential, "HTTP 401"),
        (missing, ConnectionCode::NotAvailable, "check the depot URL"),
        (failing, ConnectionCode::NotAvailable, "HTTP 503"),
        (
            settings(&format!("http://127.0.0.1:{}/", closed_port())),
            ConnectionCode::NotAvailable,
            "connection refused",
        ),
        (
            settings("http://depot.invalid/"),
            ConnectionCode::UnknownHost,
            "depot.invalid",
        ),
    ];
    for (settings, code, fragment) in cases {
        let status = DepotClient::new(&settings).unwrap().test_connection().await;
        assert_eq!(status.code, code, "{settings:?}: {status:?}");
        assert!(status.message.contains(fragment), "{status:?}");
    }
    assert_eq!(
        upstream.hits.get("/status/503/file"),
        1,
        "no retries in the check"
    );
    assert_eq!(
        ConnectionCode::Successful.as_str(),
        "DEPOT_CONNECTION_SUCCESSFUL"
    );
}
