//! Depot settings: the connection check against the depot, statuses, secrets never
//! shown, and settings the client cannot use refused with nothing stored.

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::DepotStore as _;
use depot_model::TaskStatus;
use depot_sync::{SettingsInput, SettingsView, SyncError};
use tokio::sync::Semaphore;

use crate::harness::{ADMIN, Harness, offline, quick_config};
use crate::upstream::{Access, Fault, MANIFEST, PASSWORD, USER, Upstream, pki};

async fn status_of(h: &Harness, input: SettingsInput) -> Option<String> {
    let view = h.service.put_settings(input, ADMIN).await.unwrap();
    view.offline_account.unwrap().status
}

#[tokio::test]
async fn connection_check_sets_the_status_and_hides_secrets() {
    let upstream = Upstream::start(Access::Basic(USER.into(), PASSWORD.into())).await;
    let url = upstream.url();
    let h = Harness::without_settings(quick_config(), upstream).await;
    let ca = &pki().tls_ca;

    let status = status_of(&h, offline(&url, PASSWORD, ca)).await;
    assert_eq!(status.as_deref(), Some("DEPOT_CONNECTION_SUCCESSFUL"));
    let view = h.service.settings().await.unwrap();
    assert_eq!(
        view.offline_account.as_ref().unwrap().username.as_deref(),
        Some(USER)
    );
    assert_eq!(
        view.configuration.as_ref().unwrap().url.as_deref(),
        Some(&*url)
    );
    let stored = h.store.depot_settings().await.unwrap().unwrap();
    for text in [format!("{view:?}"), stored.document] {
        assert!(!text.contains(PASSWORD), "password shown in {text}");
    }

    let status = status_of(&h, offline(&url, "wrong-pw", ca)).await;
    assert_eq!(status.as_deref(), Some("DEPOT_INVALID_CREDENTIAL"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = format!("https://127.0.0.1:{port}/");
    let status = status_of(&h, offline(&unreachable, PASSWORD, ca)).await;
    assert_eq!(status.as_deref(), Some("DEPOT_NOT_AVAILABLE"));
    // A sync against the unreachable depot fails at connect.
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Failed);
    assert_eq!(task.error.unwrap().code, "DEPOT_NOT_AVAILABLE");
}

#[tokio::test]
async fn unusable_settings_are_refused_and_nothing_is_stored() {
    let upstream = Upstream::start(Access::Basic(USER.into(), PASSWORD.into())).await;
    let url = upstream.url();
    let h = Harness::without_settings(quick_config(), upstream).await;
    let ca = pki().tls_ca.clone();
    let garbled = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    let cases = [
        offline("ftp://x", PASSWORD, &ca),
        offline("not a url", PASSWORD, &ca),
        offline(&url, PASSWORD, "MIIBdzCCAR2gAwIBAgIU not PEM"),
        offline(&url, PASSWORD, garbled),
    ];
    for round in 0..2 {
        let stored = h.store.depot_settings().await.unwrap();
        for input in cases.clone() {
            let shown = format!("{input:?}");
            let err = h.service.put_settings(input, ADMIN).await.unwrap_err();
            assert!(
                matches!(
                    err,
                    SyncError::InvalidSettings { .. } | SyncError::Upstream(_)
                ),
                "{shown}: {err:?}"
            );
            assert_eq!(
                err.kind(),
                depot_model::ErrorKind::Invalid,
                "{shown}: {err}"
            );
            assert_eq!(h.store.depot_settings().await.unwrap(), stored, "{shown}");
        }
        if round == 0 {
            assert_eq!(stored, None);
            let status = status_of(&h, offline(&url, PASSWORD, &ca)).await;
            assert_eq!(status.as_deref(), Some("DEPOT_CONNECTION_SUCCESSFUL"));
        }
    }
}

/// A sync that started against the previous depot does not write its connection status
/// onto the settings of the new depot.
#[tokio::test]
async fn a_sync_of_the_previous_depot_does_not_set_the_status_of_new_settings() {
    let mut config = quick_config();
    config.timeouts.read = Duration::from_mins(1);
    let h = Arc::new(Harness::with(config, Access::Basic(USER.into(), PASSWORD.into())).await);
    let gate = Arc::new(Semaphore::new(0));
    h.upstream.fault(MANIFEST, Fault::Hold(gate));
    let task = h.service.sync(ADMIN).await.unwrap();
    let runner = {
        let h = Arc::clone(&h);
        tokio::spawn(async move { h.engine.run_pending().await.unwrap() })
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while h.upstream.requests(MANIFEST) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sync reaches the manifest");

    // Meanwhile the admin moves to another depot; then the old one goes away.
    let new_depot = Upstream::start(Access::Basic(USER.into(), PASSWORD.into())).await;
    let status = status_of(&h, offline(&new_depot.url(), PASSWORD, &pki().tls_ca)).await;
    assert_eq!(status.as_deref(), Some("DEPOT_CONNECTION_SUCCESSFUL"));
    h.upstream.stop().await;
    runner.await.unwrap();
    let task = h.engine.get(task.id).await.unwrap();
    assert_eq!(task.error.unwrap().code, "DEPOT_NOT_AVAILABLE");

    let view = h.service.settings().await.unwrap();
    let configuration = view.configuration.unwrap();
    assert_eq!(configuration.url.as_deref(), Some(&*new_depot.url()));
    let account = view.offline_account.unwrap();
    assert_eq!(
        account.status.as_deref(),
        Some("DEPOT_CONNECTION_SUCCESSFUL"),
        "the new depot shows the old depot's failure: {:?}",
        account.message
    );
}

#[tokio::test]
async fn sync_without_settings_fails_saying_so() {
    let (h, before) = Harness::synced().await;
    h.service.delete_settings(None, ADMIN).await.unwrap();
    assert_eq!(h.service.settings().await.unwrap(), SettingsView::default());
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Failed);
    // The connect stage is the one that failed, not a pending one.
    assert_eq!(
        crate::harness::stages(&task)[0],
        ("connect", depot_model::StageStatus::Failed)
    );
    assert_eq!(task.error.unwrap().code, "DEPOT_NOT_CONFIGURED");
    assert_eq!(h.snapshot().await, before);
}
