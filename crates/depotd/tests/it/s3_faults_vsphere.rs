//! vSphere tasks when depotd's object store disappears mid-write (the fault proxy in
//! front of the S3 test server), one per task kind:
//! - a subscribed-library sync while a multipart item (20 MiB) downloads: the task
//!   fails as retriable with the standard `SERVICE_UNAVAILABLE`; the items synced
//!   before are still listed and downloadable, nothing partial is under the bucket's
//!   `sha256/` keys; once the store is back, syncing again succeeds with identical
//!   content, and the items the failed sync stored are not written again;
//! - an ESX offline depot import (`create$task` PULL from a loopback web server): the
//!   task fails as retriable with `SERVICE_UNAVAILABLE`, no depot is recorded and the
//!   one imported before is intact; once the store is back, creating again succeeds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_blobs::Sha256Digest;
use depot_esx::fixture::BundleBuilder;
use serde_json::{Value, json};

use crate::fault_proxy::FaultProxy;
use crate::offline_depots::{Client, OFFLINE, bundle, expected_content, pull, web_server};
use crate::s3_crash::files_under;
use crate::subscribed_libraries::{Publisher, SL, items, sync_library};
use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp, s3_test_server, use_s3};
use crate::update_sessions::api;
use crate::vcsp::item_with;

const MIB: usize = 1 << 20;
const DS: &str = "/api/content/library/item/download-session";

/// The S3 test server's bucket directory and a fresh prefix under it, and a config
/// tweak putting the blob store there behind `proxy`.
pub(crate) fn behind(proxy: &FaultProxy) -> (PathBuf, impl FnOnce(&mut depotd::config::Config)) {
    let (_, bucket) = s3_test_server().expect("an S3 test server");
    let root = PathBuf::from(
        std::env::var("DEPOTD_TEST_S3_ROOT").expect("DEPOTD_TEST_S3_ROOT (scripts/s3.sh)"),
    );
    let prefix = format!("depotd-it-{}", uuid::Uuid::new_v4().simple());
    let dir = root.join(&bucket).join(&prefix);
    let url = proxy.url.clone();
    let tweak = move |c: &mut depotd::config::Config| {
        use_s3(c);
        c.blob_store = Some(format!("s3://{bucket}/{prefix}"));
        c.s3.endpoint = Some(url);
    };
    (dir, tweak)
}

/// The objects under `dir/sha256/`, each checked to hold the content its key names
/// (nothing partial is visible): their digests.
fn complete_blobs(dir: &Path) -> BTreeSet<String> {
    files_under(&dir.join("sha256"))
        .into_iter()
        .map(|file| {
            let name = file.file_name().unwrap().to_str().unwrap().to_owned();
            let content = std::fs::read(&file).unwrap();
            assert_eq!(
                Sha256Digest::compute(&content).to_string(),
                name,
                "{} holds other content than its key names",
                file.display()
            );
            name
        })
        .collect()
}

/// The task `id` as fleet-lcm shows it (with `retriable`).
pub(crate) async fn fleet_task(t: &TestApp, id: &str) -> Value {
    let token = t.bearer(ADMIN, ADMIN_PASSWORD).await;
    let r = t
        .send(
            Method::GET,
            &format!("/fleet-lcm/v1/tasks/{id}"),
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// The library sync tasks by id, as CIS shows them.
async fn sync_tasks(t: &TestApp, sid: &str) -> BTreeMap<String, Value> {
    let r = api(t, sid, Method::GET, "/api/cis/tasks", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, info)| info["operation"] == "library_sync")
        .map(|(id, info)| (id.clone(), info.clone()))
        .collect()
}

/// Syncs library `id` once more: its new task's id and CIS info.
async fn sync_again(t: &TestApp, sid: &str, id: &str) -> (String, Value) {
    let before = sync_tasks(t, sid).await;
    sync_library(t, sid, id).await;
    let mut new: Vec<_> = sync_tasks(t, sid)
        .await
        .into_iter()
        .filter(|(task, _)| !before.contains_key(task))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new.pop().unwrap()
}

/// File `name` of `item` downloaded through a download session.
async fn download(t: &TestApp, sid: &str, item: &str, name: &str) -> Vec<u8> {
    let spec = json!({"library_item_id": item});
    let r = api(t, sid, Method::POST, DS, Some(spec)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body.as_str().unwrap().to_owned();
    let prepare = json!({"file_name": name, "endpoint_type": "HTTPS"});
    let path = format!("{DS}/{session}/file?action=prepare");
    let mut file = api(t, sid, Method::POST, &path, Some(prepare)).await.body;
    for _ in 0..500 {
        if file["status"] != "PREPARING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let path = format!("{DS}/{session}/file?file_name={name}");
        file = api(t, sid, Method::GET, &path, None).await.body;
    }
    assert_eq!(file["status"], "PREPARED", "{file}");
    let uri = file["download_endpoint"]["uri"].as_str().unwrap();
    let path = &uri[uri.find("/cls/download/").unwrap()..];
    let got = t
        .call(Request::builder().uri(path).body(Body::empty()).unwrap())
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.raw
}

/// The items of library `id` by name.
async fn by_name(t: &TestApp, sid: &str, id: &str) -> BTreeMap<String, Value> {
    items(t, sid, id)
        .await
        .into_iter()
        .map(|i| (i["name"].as_str().unwrap().to_owned(), i))
        .collect()
}

/// `size` bytes of a pattern of its own per `seed`.
fn content(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| u8::try_from(i % 251).unwrap() ^ seed)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_sync_while_the_store_disappears_fails_retriable_and_resumes() {
    if s3_test_server().is_none() {
        return;
    }
    let publisher = Publisher::start().await;
    let old = content(64 * 1024, 1);
    item_with(
        &publisher.t,
        &publisher.library,
        "old",
        &[("old.iso", &old)],
    )
    .await;
    let proxy = FaultProxy::start(&s3_test_server().unwrap().0).await;
    let (dir, tweak) = behind(&proxy);
    let t = TestApp::with(tweak, Vec::new()).await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let spec = json!({"name": "mirror", "type": "SUBSCRIBED",
        "subscription_info": publisher.subscription(false)});
    let r = api(&t, &sid, Method::POST, SL, Some(spec)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let library = r.body.as_str().unwrap().to_owned();
    sync_library(&t, &sid, &library).await;
    let synced = by_name(&t, &sid, &library).await;
    assert_eq!(synced["old"]["cached"], true, "{synced:?}");

    // A small item and one of more than two parts (8 MiB): the store goes away 10 MiB
    // into the sync's writes, while the big one streams.
    let small = content(64 * 1024, 2);
    let big = content(20 * MIB, 3);
    let pub_lib = &publisher.library;
    item_with(&publisher.t, pub_lib, "small", &[("small.iso", &small)]).await;
    item_with(&publisher.t, pub_lib, "big", &[("big.iso", &big)]).await;
    let before = complete_blobs(&dir);
    proxy.faults.die_after(10 << 20);
    let (task, failed) = sync_again(&t, &sid, &library).await;
    assert!(
        proxy.faults.is_dead(),
        "the store did not go away: {failed}"
    );
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(
        failed["error"]["error_type"], "SERVICE_UNAVAILABLE",
        "{failed}"
    );
    let message = &failed["error"]["messages"][0]["default_message"];
    assert!(
        message.as_str().unwrap().contains("the blob store failed"),
        "{message}"
    );
    let fleet = fleet_task(&t, &task).await;
    assert_eq!(fleet["retriable"], true, "{fleet}");

    // What was synced stays; the big item is not there; nothing partial is visible.
    let kept = by_name(&t, &sid, &library).await;
    assert_eq!(kept["old"], synced["old"], "{kept:?}");
    assert!(!kept.contains_key("big"), "{kept:?}");
    assert!(
        kept.contains_key("small"),
        "stored before the store went: {kept:?}"
    );
    let after = complete_blobs(&dir);
    assert!(after.is_superset(&before), "{before:?} {after:?}");
    let big_digest = Sha256Digest::compute(&big);
    assert!(!after.contains(&big_digest.to_string()));

    // Back: the old item downloads, the big blob is not stored.
    proxy.faults.revive();
    assert_eq!(
        download(&t, &sid, synced["old"]["id"].as_str().unwrap(), "old.iso").await,
        old
    );
    assert_eq!(t.app.blobs.stat(&big_digest).await.unwrap(), None);

    // Syncing again succeeds, writing only what the failed sync did not store.
    let (_, done) = sync_again(&t, &sid, &library).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let now = by_name(&t, &sid, &library).await;
    assert_eq!(now["old"], synced["old"]);
    assert_eq!(now["small"], kept["small"], "written again");
    assert_eq!(now["big"]["cached"], true, "{now:?}");
    for (name, file, bytes) in [
        ("old", "old.iso", &old),
        ("small", "small.iso", &small),
        ("big", "big.iso", &big),
    ] {
        let id = now[name]["id"].as_str().unwrap();
        assert_eq!(&download(&t, &sid, id, file).await, bytes, "{name}");
    }
    complete_blobs(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_esx_import_while_the_store_disappears_fails_retriable_and_creates_again() {
    if s3_test_server().is_none() {
        return;
    }
    let proxy = FaultProxy::start(&s3_test_server().unwrap().0).await;
    let (dir, tweak) = behind(&proxy);
    let c = Client::new(tweak).await;
    let first = bundle().build();
    let existing = c
        .import(&pull(&format!(
            "{}/bundle.zip",
            web_server(first.clone(), false).await
        )))
        .await;
    let referenced = c.t.app.store.blob_references().await.unwrap();

    // A bundle of about 18 MiB: the store goes away 6 MiB into its download.
    let zip = BundleBuilder::new(24 * 1024)
        .seed(7)
        .extra_components(3, 6 << 20)
        .build();
    assert!(zip.len() > 16 * MIB, "{} bytes", zip.len());
    let location = format!("{}/bundle.zip", web_server(zip.clone(), false).await);
    proxy.faults.die_after(6 << 20);
    let task = c
        .create(&pull(&location))
        .await
        .unwrap_or_else(|r| panic!("{}", r.text));
    let info = c.finish(&task).await;
    assert!(proxy.faults.is_dead(), "the store did not go away: {info}");
    assert_eq!(info["status"], "FAILED", "{info}");
    assert_eq!(info["error"]["error_type"], "SERVICE_UNAVAILABLE", "{info}");
    let message = &info["error"]["messages"][0]["default_message"];
    assert!(
        message.as_str().unwrap().contains("the blob store failed"),
        "{message}"
    );
    let fleet = fleet_task(&c.t, &task).await;
    assert_eq!(fleet["retriable"], true, "{fleet}");

    // No depot recorded, the one before intact.
    let r = c.send(Method::GET, OFFLINE, None).await;
    let listed: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(listed, [&existing], "{}", r.text);
    assert_eq!(c.t.app.store.blob_references().await.unwrap(), referenced);
    proxy.faults.revive();
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{existing}/content"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, expected_content(&first), "{}", r.text);
    for digest in &referenced {
        assert!(
            c.t.app.blobs.stat(digest).await.unwrap().is_some(),
            "{digest}"
        );
    }
    complete_blobs(&dir);

    // Creating again succeeds.
    let again = c.import(&pull(&location)).await;
    let r = c
        .send(Method::GET, &format!("{OFFLINE}/{again}/content"), None)
        .await;
    assert_eq!(r.body, expected_content(&zip), "{}", r.text);
    let r = c.send(Method::GET, OFFLINE, None).await;
    assert_eq!(r.body.as_object().unwrap().len(), 2, "{}", r.text);
}
