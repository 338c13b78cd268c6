//! The imported offline depots served as one ESXi online depot at `/depot/esx/`: the
//! generated `index.xml` walks to each depot's own vendor index, metadata zips and VIBs,
//! byte for byte, with Basic auth and ranges; a deleted depot disappears; a download
//! holds its depot in use; and a second depotd syncs the first one's online depot.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_http::linger::Budget;
use depotd::server::{self, Shutdown};
use serde_json::{Value, json};

use crate::offline_depots::{Client, OFFLINE, bundle, expected_content, push};
use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp, basic};

async fn get(c: &Client, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().method(Method::GET).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    c.t.call(request.body(Body::empty()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_depots_are_served_as_one_online_depot() {
    let c = Client::new(|_| {}).await;
    let auth = basic(ADMIN, ADMIN_PASSWORD);
    let auth = [("authorization", auth.as_str())];
    let r = get(&c, "/depot/esx/index.xml", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "Basic is required");
    let r = get(&c, "/depot/esx/index.xml", &auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        depot_esx::index_vendors(r.text.as_bytes()).is_err(),
        "no vendor yet"
    );

    let first_zip = bundle().build();
    let first = c.import(&push(&c.upload(&first_zip).await)).await;
    let second = c
        .import(&push(&c.upload(&bundle().seed(9).build()).await))
        .await;

    let r = get(&c, "/depot/esx/", &auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let vendors = depot_esx::index_vendors(r.text.as_bytes()).unwrap();
    let dirs: BTreeSet<&str> = vendors
        .iter()
        .map(|v| v.index.as_str().split('/').next().unwrap())
        .collect();
    assert_eq!(dirs, BTreeSet::from([first.as_str(), second.as_str()]));
    assert_eq!(vendors.len(), 4, "two vendors per fixture bundle");

    // Every file of the first depot, at /depot/esx/<id>/<path>, is its stored blob.
    let id = first.parse().unwrap();
    for file in c.t.app.store.offline_depot_files(id).await.unwrap() {
        let r = get(&c, &format!("/depot/esx/{first}/{}", file.path), &auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", file.path);
        assert_eq!(r.raw.len() as u64, file.size, "{}", file.path);
        assert_eq!(
            depot_model::Sha256Digest::compute(&r.raw),
            file.digest,
            "{}",
            file.path
        );
    }
    // A vendor index named by the merged index.xml is there; a VIB answers a range.
    let vendor = vendors
        .iter()
        .find(|v| v.index.as_str().starts_with(&first))
        .unwrap();
    let r = get(&c, &format!("/depot/esx/{}", vendor.index), &auth).await;
    assert_eq!(r.status, StatusCode::OK);
    let vib =
        c.t.app
            .store
            .offline_depot_files(id)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.path.starts_with("vib20/"))
            .unwrap();
    let uri = format!("/depot/esx/{first}/{}", vib.path);
    let r = get(&c, &uri, &[auth[0], ("range", "bytes=10-19")]).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.raw.len(), 10);
    let r = get(&c, &format!("/depot/esx/{first}/no/such.vib"), &auth).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&c, "/depot/esx/not-a-depot/index.xml", &auth).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A deleted depot leaves the index and its files answer 404.
    let r = c
        .send(Method::DELETE, &format!("{OFFLINE}/{second}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = get(&c, "/depot/esx/index.xml", &auth).await;
    let vendors = depot_esx::index_vendors(r.text.as_bytes()).unwrap();
    assert!(vendors.iter().all(|v| v.index.as_str().starts_with(&first)));
    let r = get(&c, &format!("/depot/esx/{second}/index.xml"), &auth).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.send(Method::GET, &format!("{OFFLINE}/{first}/content"), None)
            .await
            .body,
        expected_content(&first_zip)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_in_flight_holds_its_depot_in_use() {
    let c = Client::new(|config| config.downstream.anonymous = true).await;
    let big = bundle().extra_components(1, 8 << 20);
    let depot = c.import(&push(&c.upload(&big.build()).await)).await;
    let id = depot.parse().unwrap();
    let vib =
        c.t.app
            .store
            .offline_depot_files(id)
            .await
            .unwrap()
            .into_iter()
            .max_by_key(|f| f.size)
            .unwrap();
    let request = Request::builder()
        .uri(format!("/depot/esx/{depot}/{}", vib.path))
        .body(Body::empty())
        .unwrap();
    // The response is taken but its body not read: the download is in flight.
    let response = tower::ServiceExt::oneshot(c.t.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let uri = format!("{OFFLINE}/{depot}?vmw-task=true");
    let r = c.send(Method::DELETE, &uri, None).await;
    assert_eq!(r.body["error_type"], "RESOURCE_IN_USE", "{}", r.text);
    drop(response);
    let r = c.send(Method::DELETE, &uri, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let info = c.finish(r.body.as_str().unwrap()).await;
    assert_eq!(info["status"], "SUCCEEDED", "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_depotd_syncs_the_first_ones_online_depot() {
    let first = Client::new(|config| config.downstream.anonymous = true).await;
    let zip = bundle().build();
    first.import(&push(&first.upload(&zip).await)).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let shutdown = Shutdown::new();
    let router = server::router(&first.t.app, Budget::DEFAULT);
    let limits = first.t.app.config.http.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move { server::serve(listener, None, router, &limits, stop).await });

    let second = TestApp::new().await;
    let sid = second.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let session = [("vmware-api-session-id", sid.as_str())];
    let location = format!("http://127.0.0.1:{port}/depot/esx/index.xml");
    let body = json!({"location": location}).to_string();
    let r = second
        .send(
            Method::POST,
            "/api/esx/settings/depots/online",
            &session,
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let online = r.body.as_str().unwrap().to_owned();
    let r = second
        .send(
            Method::POST,
            "/api/esx/settings/depots?action=sync&vmw-task=true",
            &session,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    second.app.services.tasks.run_pending().await.unwrap();
    let task = r.body.as_str().unwrap();
    let r = second
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{task}"),
            &session,
            None,
        )
        .await;
    assert_eq!(r.body["status"], "SUCCEEDED", "{}", r.text);
    let r = second
        .send(
            Method::GET,
            &format!("/api/esx/settings/depots/online/{online}/content"),
            &session,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The same metadata zips, listed under the first depotd's depot directory.
    let infos = |content: &Value| -> Vec<Value> {
        let mut all: Vec<Value> = content["metadata_bundles"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|v| v.as_array().unwrap().clone())
            .collect();
        all.sort_by_key(Value::to_string);
        all
    };
    assert_eq!(infos(&r.body), infos(&expected_content(&zip)));
    shutdown.now();
}
