//! Download sessions over `/api` REST and the `/cls/download` endpoint: prepare a
//! file, GET it (whole, by range, HEAD), and the refusals once the session ends.

#![expect(
    clippy::many_single_char_names,
    reason = "t: the app, r/s/p/…: replies, read once each"
)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};
use crate::update_sessions::{api, item, upload_complete};

const DS: &str = "/api/content/library/item/download-session";

async fn get(t: &TestApp, path: &str, headers: &[(&str, &str)], method: Method) -> Reply {
    let mut b = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    t.call(b.body(Body::empty()).unwrap()).await
}

/// Opens a download session on `item` (with a client token); checks get and list.
async fn open_download(t: &TestApp, sid: &str, item: depot_model::ItemId) -> String {
    let r = t
        .send(
            Method::POST,
            DS,
            &[("vmware-api-session-id", sid), ("client-token", "dl-1")],
            Some(&json!({"library_item_id": item.to_string()}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body.as_str().unwrap().to_owned();
    let s = api(t, sid, Method::GET, &format!("{DS}/{session}"), None).await;
    assert_eq!(s.body["state"], "ACTIVE", "{}", s.body);
    assert_eq!(s.body["library_item_content_version"], "2", "{}", s.body);
    let list = api(
        t,
        sid,
        Method::GET,
        &format!("{DS}?library_item_id={item}"),
        None,
    )
    .await;
    assert_eq!(list.body, json!([session]));
    session
}

#[tokio::test]
async fn a_prepared_file_downloads_whole_and_by_range_until_the_session_ends() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let item = item(&t, Some("iso")).await;
    let content: Vec<u8> = (0..70_000u32)
        .map(|i| u8::try_from(i * 7 % 256).unwrap())
        .collect();
    upload_complete(&t, &sid, item, "media.iso", &content).await;

    let session = open_download(&t, &sid, item).await;

    let files = api(&t, &sid, Method::GET, &format!("{DS}/{session}/file"), None).await;
    assert_eq!(files.body[0]["status"], "UNPREPARED", "{}", files.body);
    assert_eq!(files.body[0]["size"], content.len());
    let missing = api(
        &t,
        &sid,
        Method::POST,
        &format!("{DS}/{session}/file?action=prepare"),
        Some(json!({"file_name": "nope.iso", "endpoint_type": "HTTPS"})),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let p = api(
        &t,
        &sid,
        Method::POST,
        &format!("{DS}/{session}/file?action=prepare"),
        Some(json!({"file_name": "media.iso", "endpoint_type": "HTTPS"})),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.body["status"], "PREPARED", "{}", p.body);
    assert_eq!(p.body["checksum_info"]["algorithm"], "SHA256");
    let uri = p.body["download_endpoint"]["uri"].as_str().unwrap();
    let path = &uri[uri.find("/cls/download/").unwrap()..];

    let whole = get(&t, path, &[], Method::GET).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert!(whole.raw == content, "the bytes came back changed");
    let etag = whole.headers["etag"].to_str().unwrap().to_owned();
    let part = get(&t, path, &[("range", "bytes=100-199")], Method::GET).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.raw, content[100..200]);
    assert_eq!(
        part.headers["content-range"],
        format!("bytes 100-199/{}", content.len())
    );
    let stale = get(
        &t,
        path,
        &[("range", "bytes=0-9"), ("if-range", "\"other\"")],
        Method::GET,
    )
    .await;
    assert_eq!(
        stale.status,
        StatusCode::OK,
        "a stale If-Range gets the whole file"
    );
    let fresh = get(
        &t,
        path,
        &[("range", "bytes=0-9"), ("if-range", &etag)],
        Method::GET,
    )
    .await;
    assert_eq!(fresh.status, StatusCode::PARTIAL_CONTENT);
    let head = get(&t, path, &[], Method::HEAD).await;
    assert_eq!(
        head.headers["content-length"],
        content.len().to_string().as_str()
    );
    assert!(head.raw.is_empty());
    let wrong = path.replace("/media.iso", "/other.iso");
    assert_eq!(
        get(&t, &wrong, &[], Method::GET).await.status,
        StatusCode::NOT_FOUND
    );

    // The prepared file keeps serving what it was prepared on, after the item changes.
    upload_complete(&t, &sid, item, "media.iso", b"new content").await;
    let again = get(&t, path, &[], Method::GET).await;
    assert!(
        again.raw == content,
        "a prepared file serves the blob fixed at prepare time"
    );

    ends_and_serves_nothing(&t, &sid, &session, path).await;
}

/// Keep-alive, cancel (then nothing is served, fail is refused), delete.
async fn ends_and_serves_nothing(t: &TestApp, sid: &str, session: &str, path: &str) {
    let k = api(
        t,
        sid,
        Method::POST,
        &format!("{DS}/{session}?action=keep-alive"),
        Some(json!({"progress": 50})),
    )
    .await;
    assert_eq!(k.status, StatusCode::NO_CONTENT, "{}", k.text);
    let c = api(
        t,
        sid,
        Method::POST,
        &format!("{DS}/{session}?action=cancel"),
        None,
    )
    .await;
    assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
    assert_eq!(
        get(t, path, &[], Method::GET).await.status,
        StatusCode::NOT_FOUND
    );
    let f = api(
        t,
        sid,
        Method::POST,
        &format!("{DS}/{session}?action=fail"),
        Some(json!({"client_error_message": "x"})),
    )
    .await;
    assert_eq!(
        f.body["error_type"], "NOT_ALLOWED_IN_CURRENT_STATE",
        "{}",
        f.text
    );
    let d = api(t, sid, Method::DELETE, &format!("{DS}/{session}"), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.text);
    assert_eq!(
        api(t, sid, Method::GET, &format!("{DS}/{session}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_failed_session_serves_nothing_and_unknown_items_are_not_found() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = api(
        &t,
        &sid,
        Method::POST,
        DS,
        Some(json!({"library_item_id": uuid::Uuid::new_v4().to_string()})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let item = item(&t, None).await;
    upload_complete(&t, &sid, item, "a.bin", b"abc").await;
    let r = api(
        &t,
        &sid,
        Method::POST,
        DS,
        Some(json!({"library_item_id": item.to_string()})),
    )
    .await;
    let session = r.body.as_str().unwrap().to_owned();
    let p = api(
        &t,
        &sid,
        Method::POST,
        &format!("{DS}/{session}/file?action=prepare"),
        Some(json!({"file_name": "a.bin"})),
    )
    .await;
    let uri = p.body["download_endpoint"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = &uri[uri.find("/cls/download/").unwrap()..];
    assert_eq!(get(&t, path, &[], Method::GET).await.raw, b"abc");
    // REST get is the list path with ?file_name=.
    let one = api(
        &t,
        &sid,
        Method::GET,
        &format!("{DS}/{session}/file?file_name=a.bin"),
        None,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(
        (one.body["name"].as_str(), one.body["status"].as_str()),
        (Some("a.bin"), Some("PREPARED"))
    );
    let none = api(
        &t,
        &sid,
        Method::GET,
        &format!("{DS}/{session}/file?file_name=b.bin"),
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.text);
    let f = api(
        &t,
        &sid,
        Method::POST,
        &format!("{DS}/{session}?action=fail"),
        Some(json!({"client_error_message": "client gave up"})),
    )
    .await;
    assert_eq!(f.status, StatusCode::NO_CONTENT, "{}", f.text);
    assert_eq!(
        get(&t, path, &[], Method::GET).await.status,
        StatusCode::NOT_FOUND
    );
    let s = api(&t, &sid, Method::GET, &format!("{DS}/{session}"), None).await;
    assert_eq!(s.body["state"], "ERROR");
}
