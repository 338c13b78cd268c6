//! Subscribed libraries: one depotd publishes over HTTPS on a real listener, another
//! subscribes with the publisher's pinned thumbprint and syncs metadata, content on
//! demand or at once; eviction, deletion at the publisher, read-only items, errors.

use axum::http::{Method, StatusCode};
use depot_http::linger::Budget;
use depot_model::{Library, LibraryAuth, Role};
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};
use crate::update_sessions::api;
use crate::vcsp::{PASSWORD, item_with, published};

pub(crate) const SL: &str = "/api/content/subscribed-library";
pub(crate) const SI: &str = "/api/content/library/subscribed-item";
pub(crate) const ITEMS: &str = "/api/content/library/item";

/// A depotd publishing one library over HTTPS on a loopback listener.
pub(crate) struct Publisher {
    pub t: TestApp,
    pub library: Library,
    pub url: String,
    pub thumbprint: String,
    shutdown: Shutdown,
}

/// Serves `t` over HTTPS on a loopback listener: its port, its certificate's
/// thumbprint and what stops it.
pub(crate) fn listen(t: &TestApp) -> (u16, String, Shutdown) {
    let files = depotd::tls::resolve(&t.app.config.data_dir, None, None).unwrap();
    let thumbprint = depotd::tls::thumbprint(&files.cert).unwrap();
    let tls = depotd::tls::server_config(&files).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let router = server::router(&t.app, Budget::DEFAULT);
    let limits = t.app.config.http.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move { server::serve(listener, Some(tls), router, &limits, stop).await });
    (addr.port(), thumbprint, shutdown)
}

impl Publisher {
    pub(crate) async fn start() -> Self {
        let t = TestApp::new().await;
        let library = published(&t, "pub", LibraryAuth::Basic, true).await;
        let (port, thumbprint, shutdown) = listen(&t);
        let url = format!(
            "https://127.0.0.1:{port}/cls/vcsp/lib/{}/lib.json",
            library.id
        );
        Self {
            t,
            library,
            url,
            thumbprint,
            shutdown,
        }
    }

    pub(crate) fn subscription(&self, on_demand: bool) -> Value {
        json!({"subscription_url": self.url, "authentication_method": "BASIC",
            "user_name": "vcsp", "password": PASSWORD, "on_demand": on_demand,
            "automatic_sync_enabled": false, "ssl_thumbprint": self.thumbprint})
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.shutdown.now();
    }
}

async fn create(t: &TestApp, sid: &str, name: &str, subscription: Value) -> Reply {
    let spec = json!({"name": name, "type": "SUBSCRIBED", "subscription_info": subscription});
    api(t, sid, Method::POST, SL, Some(spec)).await
}

async fn subscribe(t: &TestApp, sid: &str, publisher: &Publisher, on_demand: bool) -> String {
    let r = create(
        t,
        sid,
        &format!("mirror-{on_demand}"),
        publisher.subscription(on_demand),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body.as_str().unwrap().to_owned()
}

/// Runs the pending tasks (syncs) to their end.
pub(crate) async fn run_tasks(t: &TestApp) {
    t.app.services.tasks.run_pending().await.unwrap();
}

pub(crate) async fn sync_library(t: &TestApp, sid: &str, id: &str) {
    let r = api(
        t,
        sid,
        Method::POST,
        &format!("{SL}/{id}?action=sync"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    run_tasks(t).await;
}

pub(crate) async fn sync_item(t: &TestApp, sid: &str, id: &str, body: Value) -> Reply {
    api(
        t,
        sid,
        Method::POST,
        &format!("{SI}/{id}?action=sync"),
        Some(body),
    )
    .await
}

pub(crate) async fn items(t: &TestApp, sid: &str, library: &str) -> Vec<Value> {
    let r = api(
        t,
        sid,
        Method::GET,
        &format!("{ITEMS}?library_id={library}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut out = Vec::new();
    for id in r.body.as_array().unwrap() {
        let id = id.as_str().unwrap();
        out.push(
            api(t, sid, Method::GET, &format!("{ITEMS}/{id}"), None)
                .await
                .body,
        );
    }
    out
}

#[tokio::test]
async fn an_on_demand_subscription_follows_a_depotd_publisher() {
    let publisher = Publisher::start().await;
    let esx = item_with(
        &publisher.t,
        &publisher.library,
        "esx",
        &[("esx.iso", b"bytes of esx")],
    )
    .await;
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;

    let probe = json!({"subscription_info": publisher.subscription(true)});
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SL}?action=probe"),
        Some(probe),
    )
    .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("SUCCESS")),
        "{}",
        r.text
    );

    let id = subscribe(&t, &sid, &publisher, true).await;
    let r = api(&t, &sid, Method::GET, &format!("{SL}/{id}"), None).await;
    assert_eq!(r.body["type"], "SUBSCRIBED");
    assert_eq!(r.body["subscription_info"]["on_demand"], true);
    assert!(
        r.body["subscription_info"].get("password").is_none(),
        "{}",
        r.text
    );
    assert!(!r.text.contains(PASSWORD));

    sync_library(&t, &sid, &id).await;
    let synced = items(&t, &sid, &id).await;
    assert_eq!(synced.len(), 1, "{synced:?}");
    let item = synced[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(synced[0]["cached"], false);
    assert_eq!(synced[0]["source_id"], esx.id.to_string());
    assert_eq!(synced[0]["size"], 12);

    let r = sync_item(&t, &sid, &item, json!({"force_sync_content": true})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    run_tasks(&t).await;
    let r = api(&t, &sid, Method::GET, &format!("{ITEMS}/{item}"), None).await;
    assert_eq!(r.body["cached"], true, "{}", r.text);
    let r = api(&t, &sid, Method::GET, &format!("{ITEMS}/{item}/file"), None).await;
    assert_eq!(r.body[0]["cached"], true, "{}", r.text);

    // Items of a subscribed library are read-only.
    let r = api(
        &t,
        &sid,
        Method::PATCH,
        &format!("{ITEMS}/{item}"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(r.body["error_type"], "INVALID_ELEMENT_TYPE", "{}", r.text);
    let r = api(&t, &sid, Method::DELETE, &format!("{ITEMS}/{item}"), None).await;
    assert_eq!(r.body["error_type"], "INVALID_ELEMENT_TYPE", "{}", r.text);
    let create = json!({"library_id": id, "name": "new"});
    let r = api(&t, &sid, Method::POST, ITEMS, Some(create)).await;
    assert_eq!(r.body["error_type"], "INVALID_ELEMENT_TYPE", "{}", r.text);

    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SI}/{item}?action=evict"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = api(&t, &sid, Method::GET, &format!("{ITEMS}/{item}"), None).await;
    assert_eq!(r.body["cached"], false);

    // Deleted at the publisher: the next item sync deletes it here.
    publisher
        .t
        .app
        .library
        .store()
        .delete_item(esx.id, true)
        .await
        .unwrap();
    let r = sync_item(&t, &sid, &item, json!({"force_sync_content": false})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    run_tasks(&t).await;
    let r = api(&t, &sid, Method::GET, &format!("{ITEMS}/{item}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let r = api(&t, &sid, Method::DELETE, &format!("{SL}/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn an_immediate_subscription_downloads_everything() {
    let publisher = Publisher::start().await;
    for name in ["a", "b"] {
        item_with(
            &publisher.t,
            &publisher.library,
            name,
            &[(&format!("{name}.iso"), name.as_bytes())],
        )
        .await;
    }
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let id = subscribe(&t, &sid, &publisher, false).await;
    sync_library(&t, &sid, &id).await;
    let synced = items(&t, &sid, &id).await;
    assert_eq!(synced.len(), 2);
    assert!(synced.iter().all(|i| i["cached"] == true), "{synced:?}");
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SL}/{id}?action=evict"),
        None,
    )
    .await;
    assert_eq!(
        r.body["error_type"], "INVALID_ELEMENT_CONFIGURATION",
        "{}",
        r.text
    );
    let item = synced[0]["id"].as_str().unwrap();
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SI}/{item}?action=evict"),
        None,
    )
    .await;
    assert_eq!(
        r.body["error_type"], "INVALID_ELEMENT_CONFIGURATION",
        "{}",
        r.text
    );

    // The content's blob is gone from the store (a restored backup): refused.
    let file = t
        .app
        .library
        .item_file(
            item.parse().unwrap(),
            &synced[0]["name"]
                .as_str()
                .map(|n| format!("{n}.iso"))
                .unwrap(),
        )
        .await
        .unwrap();
    t.app
        .library
        .blobs()
        .delete(&file.digest.unwrap())
        .await
        .unwrap();
    let r = sync_item(&t, &sid, item, json!({"force_sync_content": true})).await;
    assert_eq!(
        r.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_subscription_is_checked_before_it_is_created() {
    let publisher = Publisher::start().await;
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let mut wrong_pin = publisher.subscription(true);
    wrong_pin["ssl_thumbprint"] = vec!["AB"; 32].join(":").into();
    let mut wrong_password = publisher.subscription(true);
    wrong_password["password"] = "nope".into();
    let mut unreachable = publisher.subscription(true);
    unreachable["subscription_url"] = "https://127.0.0.1:9/lib.json".into();
    for (name, subscription) in [
        ("pin", wrong_pin),
        ("401", wrong_password),
        ("down", unreachable),
    ] {
        let r = create(&t, &sid, name, subscription).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
        assert_eq!(
            r.body["error_type"], "RESOURCE_INACCESSIBLE",
            "{name}: {}",
            r.text
        );
    }
    let r = api(&t, &sid, Method::GET, SL, None).await;
    assert_eq!(r.body, json!([]));
    let mut probe = publisher.subscription(true);
    probe["password"] = "nope".into();
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SL}?action=probe"),
        Some(json!({"subscription_info": probe})),
    )
    .await;
    assert_eq!(r.body["status"], "INVALID_CREDENTIALS", "{}", r.text);
}

#[tokio::test]
async fn subscribed_item_sync_refuses_bad_input() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let unknown = uuid::Uuid::new_v4();
    let r = sync_item(
        &t,
        &sid,
        &unknown.to_string(),
        json!({"force_sync_content": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let local = crate::update_sessions::item(&t, None).await;
    let r = sync_item(
        &t,
        &sid,
        &local.to_string(),
        json!({"force_sync_content": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "INVALID_ELEMENT_TYPE");
    let message = &r.body["messages"][0];
    assert_eq!(
        message["id"],
        "com.vmware.vdcs.cls-main.item_not_in_subscribed_library"
    );
    assert_eq!(message["args"], json!([local.to_string()]));
    assert_eq!(
        message["default_message"],
        format!("Library item {local} does not belong to a subscribed library.")
    );
    let r = sync_item(&t, &sid, &local.to_string(), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "force_sync_content is required: {}",
        r.text
    );
    let r = api(
        &t,
        &sid,
        Method::POST,
        &format!("{SI}/{local}?action=evict"),
        None,
    )
    .await;
    assert_eq!(r.body["error_type"], "INVALID_ELEMENT_TYPE", "{}", r.text);

    t.add_user("reader", Role::ReadOnly, "Reader-pass-1").await;
    let reader = t.vsphere_session("reader", "Reader-pass-1").await;
    let r = sync_item(
        &t,
        &reader,
        &local.to_string(),
        json!({"force_sync_content": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = create(
        &t,
        &reader,
        "m",
        json!({"subscription_url": "https://127.0.0.1:9/lib.json"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}
