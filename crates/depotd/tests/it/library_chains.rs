//! Chains of subscriptions over real HTTPS listeners: A publishes a local library, B
//! subscribes to it and publishes its subscribed library (depotd's extension: vCenter
//! publishes local libraries only), C subscribes to B. Content reaches C; when B is on
//! demand, B fetches from A the file C asks for, once, and serves it after storing it.

#![expect(
    clippy::many_single_char_names,
    reason = "a, b, c: the three depotd of the chain, as the issue names them"
)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::subscribed_libraries::{
    ITEMS, Publisher, SL, items, listen, run_tasks, sync_item, sync_library,
};
use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};
use crate::update_sessions::api;
use crate::vcsp::{PASSWORD, item_with};

const DS: &str = "/api/content/library/item/download-session";

/// B: a depotd subscribed to `a` (on demand or not) and publishing that library over
/// HTTPS; returns it with its library id and a subscription to it for C.
struct Middle {
    t: TestApp,
    library: String,
    subscription: Value,
    _shutdown: depotd::server::Shutdown,
}

impl Middle {
    async fn start(a: &Publisher, on_demand: bool) -> Self {
        let t = TestApp::new().await;
        let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
        let spec = json!({"name": "b", "type": "SUBSCRIBED",
            "subscription_info": a.subscription(on_demand),
            "publish_info": {"published": true, "authentication_method": "BASIC",
                "user_name": "vcsp", "password": PASSWORD}});
        let r = api(&t, &sid, Method::POST, SL, Some(spec)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let library = r.body.as_str().unwrap().to_owned();
        sync_library(&t, &sid, &library).await;
        let r = api(&t, &sid, Method::GET, &format!("{SL}/{library}"), None).await;
        let url = r.body["publish_info"]["publish_url"].as_str().unwrap();
        assert!(
            url.ends_with(&format!("/cls/vcsp/lib/{library}/lib.json")),
            "{url}"
        );
        let (port, thumbprint, shutdown) = listen(&t);
        let subscription = json!({
            "subscription_url": format!("https://127.0.0.1:{port}/cls/vcsp/lib/{library}/lib.json"),
            "authentication_method": "BASIC", "user_name": "vcsp", "password": PASSWORD,
            "automatic_sync_enabled": false, "ssl_thumbprint": thumbprint});
        Self {
            t,
            library,
            subscription,
            _shutdown: shutdown,
        }
    }

    async fn items(&self) -> Vec<Value> {
        let sid = self.t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
        items(&self.t, &sid, &self.library).await
    }
}

/// C: a library of a new depotd subscribed to `b`; the app, a session and its id.
async fn subscribe_to(b: &Middle, on_demand: bool) -> (TestApp, String, String) {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let mut subscription = b.subscription.clone();
    subscription["on_demand"] = on_demand.into();
    let spec = json!({"name": "c", "type": "SUBSCRIBED", "subscription_info": subscription});
    let r = api(&t, &sid, Method::POST, SL, Some(spec)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let library = r.body.as_str().unwrap().to_owned();
    sync_library(&t, &sid, &library).await;
    (t, sid, library)
}

/// The bytes of `file` of `item` as `t` holds them.
async fn held(t: &TestApp, item: &str, file: &str) -> Vec<u8> {
    let f = t
        .app
        .library
        .item_file(item.parse().unwrap(), file)
        .await
        .unwrap();
    let digest = f.digest.expect("cached");
    t.app
        .library
        .blobs()
        .read_all(&digest, 1 << 20)
        .await
        .unwrap()
}

#[tokio::test]
async fn content_flows_down_a_chain_fetched_on_demand_in_the_middle() {
    let a = Publisher::start().await;
    item_with(&a.t, &a.library, "esx", &[("esx.iso", b"bytes of esx")]).await;
    let b = Middle::start(&a, true).await;
    let b_items = b.items().await;
    assert_eq!(b_items.len(), 1);
    assert_eq!(b_items[0]["cached"], false, "B holds metadata only");

    // C syncs at once: B fetches the file from A when C asks for it.
    let (c, sid, c_library) = subscribe_to(&b, false).await;
    let c_items = items(&c, &sid, &c_library).await;
    assert_eq!(c_items.len(), 1, "{c_items:?}");
    assert_eq!(c_items[0]["name"], "esx");
    assert_eq!(c_items[0]["cached"], true, "{c_items:?}");
    let c_item = c_items[0]["id"].as_str().unwrap();
    assert_eq!(held(&c, c_item, "esx.iso").await, b"bytes of esx");
    let b_items = b.items().await;
    assert_eq!(b_items[0]["cached"], true, "B stored what it fetched");
    let b_item = b_items[0]["id"].as_str().unwrap();
    assert_eq!(held(&b.t, b_item, "esx.iso").await, b"bytes of esx");

    // A deletes the item: B's sync deletes it, then C's.
    let esx =
        a.t.app
            .library
            .store()
            .list_items(a.library.id)
            .await
            .unwrap();
    a.t.app
        .library
        .store()
        .delete_item(esx[0].id, true)
        .await
        .unwrap();
    let b_sid = b.t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    sync_library(&b.t, &b_sid, &b.library).await;
    assert!(b.items().await.is_empty());
    let r = sync_item(&c, &sid, c_item, json!({"force_sync_content": false})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    run_tasks(&c).await;
    let r = api(&c, &sid, Method::GET, &format!("{ITEMS}/{c_item}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn an_on_demand_end_of_a_chain_downloads_on_first_use() {
    let a = Publisher::start().await;
    item_with(&a.t, &a.library, "esx", &[("esx.iso", b"esx on demand")]).await;
    let b = Middle::start(&a, false).await;
    assert_eq!(b.items().await[0]["cached"], true, "B downloads at once");
    let (c, sid, c_library) = subscribe_to(&b, true).await;
    let c_items = items(&c, &sid, &c_library).await;
    assert_eq!(c_items[0]["cached"], false);
    let item = c_items[0]["id"].as_str().unwrap().to_owned();

    // A download session at C prepares the file after fetching it from B.
    let r = api(
        &c,
        &sid,
        Method::POST,
        DS,
        Some(json!({"library_item_id": item})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body.as_str().unwrap().to_owned();
    let prepare = json!({"file_name": "esx.iso", "endpoint_type": "HTTPS"});
    let p = api(
        &c,
        &sid,
        Method::POST,
        &format!("{DS}/{session}/file?action=prepare"),
        Some(prepare),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.body["status"], "PREPARING", "{}", p.text);
    let mut file = p.body;
    for _ in 0..250 {
        if file["status"] != "PREPARING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let path = format!("{DS}/{session}/file?file_name=esx.iso");
        file = api(&c, &sid, Method::GET, &path, None).await.body;
    }
    assert_eq!(file["status"], "PREPARED", "{file}");
    let uri = file["download_endpoint"]["uri"].as_str().unwrap();
    let path = &uri[uri.find("/cls/download/").unwrap()..];
    let request = Request::builder().uri(path).body(Body::empty()).unwrap();
    let got = c.call(request).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.raw, b"esx on demand");
    let r = api(&c, &sid, Method::GET, &format!("{ITEMS}/{item}"), None).await;
    assert_eq!(r.body["cached"], true, "{}", r.text);
}
