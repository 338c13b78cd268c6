//! VCSP publishing: a published local library is read by a subscriber through
//! `lib.json`, `items.json`, `item.json` and the files, with its `vcsp` credentials;
//! versions grow with changes; those credentials open nothing else; guessed publish
//! passwords are slowed like guessed logins.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_blobs::Expected;
use depot_library::PUBLISH_PASSWORD_FIELD;
use depot_model::{
    FileTransfer, Library, LibraryAuth, LibraryItem, LibraryKind, PublishSettings, Secret,
    SessionFile, SourceType, StoredBlob, UpdateSession,
};
use serde_json::Value;

use crate::auth_limits::{call, from};
use crate::support::{Reply, TestApp, basic};

pub(crate) const PASSWORD: &str = "Vcsp-publish-1";

/// A local library published with `auth`, stored.
pub(crate) async fn published(
    t: &TestApp,
    name: &str,
    auth: LibraryAuth,
    published: bool,
) -> Library {
    let library = &t.app.library;
    let mut l = Library::new(name, LibraryKind::Local, library.now());
    l.publish = Some(PublishSettings {
        published,
        authentication: auth,
        user_name: Some("vcsp".to_owned()),
        password: Some(
            library
                .seal(PUBLISH_PASSWORD_FIELD, &Secret::new(PASSWORD))
                .unwrap(),
        ),
        persist_json_enabled: false,
    });
    library.store().insert_library(&l, None).await.unwrap();
    l
}

/// An item of `library` holding `files` (name, content), uploaded through an update
/// session of the store.
pub(crate) async fn item_with(
    t: &TestApp,
    library: &Library,
    name: &str,
    files: &[(&str, &[u8])],
) -> LibraryItem {
    let service = &t.app.library;
    let store = service.store();
    let now = service.now();
    let mut item = LibraryItem::new(library.id, name, now);
    item.item_type = Some("iso".to_owned());
    store.insert_item(&item, None).await.unwrap();
    upload(t, &item, files).await;
    store.get_item(item.id).await.unwrap().unwrap()
}

/// Replaces or adds `files` of `item` through one update session.
async fn upload(t: &TestApp, item: &LibraryItem, files: &[(&str, &[u8])]) {
    let service = &t.app.library;
    let store = service.store();
    let now = service.now();
    let session = UpdateSession::new(item.id, "admin", now, now + chrono::Duration::minutes(5));
    store.insert_update_session(&session, None).await.unwrap();
    for (name, content) in files {
        let info = service
            .blobs()
            .put(&mut &content[..], Expected::default())
            .await
            .unwrap();
        let file = SessionFile {
            session_id: session.id,
            name: (*name).to_owned(),
            source_type: SourceType::Push,
            declared_size: None,
            declared_checksum: None,
            pull_endpoint: None,
            upload_token: format!("t-{}-{name}", session.id),
            transfer: FileTransfer::waiting(),
        };
        store.add_session_file(&file).await.unwrap();
        let ready = FileTransfer::ready(StoredBlob {
            digest: info.digest,
            size: info.size,
        });
        assert!(
            store
                .update_session_file(session.id, name, &[], &ready)
                .await
                .unwrap()
        );
    }
    store
        .complete_update_session(session.id, now)
        .await
        .unwrap();
}

async fn get(t: &TestApp, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::builder().method(Method::GET).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    t.call(b.body(Body::empty()).unwrap()).await
}

fn vcsp() -> String {
    basic("vcsp", PASSWORD)
}

#[tokio::test]
async fn a_subscriber_reads_the_library_its_items_and_files() {
    let t = TestApp::new().await;
    let library = published(&t, "pub", LibraryAuth::Basic, true).await;
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let item = item_with(&t, &library, "esx iso", &[("VMware ESXi 9.iso", &content)]).await;
    let auth = vcsp();
    let base = format!("/cls/vcsp/lib/{}", library.id);

    let r = get(&t, &format!("{base}/lib.json"), &[("authorization", &auth)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["vcspVersion"], "2");
    assert_eq!(r.body["id"], format!("urn:uuid:{}", library.id));
    assert_eq!(r.body["name"], "pub");
    assert_eq!(r.body["itemsHref"], "items.json");
    assert_eq!(r.body["capabilities"]["transferIn"][0], "httpGet");
    let lib_version: u64 = r.body["version"].as_str().unwrap().parse().unwrap();
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    let again = get(
        &t,
        &format!("{base}/lib.json"),
        &[("authorization", &auth), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let r = get(
        &t,
        &format!("{base}/items.json"),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let listed = &r.body["items"][0];
    assert_eq!(listed["id"], format!("urn:uuid:{}", item.id));
    assert_eq!(listed["type"], "vcsp.iso");
    assert_eq!(listed["files"][0]["size"], 100_000);
    let href = listed["files"][0]["hrefs"][0].as_str().unwrap().to_owned();
    assert_eq!(href, format!("{}/VMware%20ESXi%209.iso", item.id));
    let self_href = listed["selfHref"].as_str().unwrap();
    let r = get(
        &t,
        &format!("{base}/{self_href}"),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(&r.body, listed, "item.json is the entry of items.json");

    let r = get(&t, &format!("{base}/{href}"), &[("authorization", &auth)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.raw, content);
    let r = get(
        &t,
        &format!("{base}/{href}"),
        &[("authorization", &auth), ("range", "bytes=1000-1999")],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.raw, &content[1000..2000]);

    // A change: the item and library versions grow, the file's etag follows its content.
    upload(&t, &item, &[("VMware ESXi 9.iso", b"new content")]).await;
    let r = get(&t, &format!("{base}/lib.json"), &[("authorization", &auth)]).await;
    let grown: u64 = r.body["version"].as_str().unwrap().parse().unwrap();
    assert!(grown > lib_version, "{grown} > {lib_version}");
    let r = get(
        &t,
        &format!("{base}/{self_href}"),
        &[("authorization", &auth)],
    )
    .await;
    assert!(
        r.body["version"].as_str().unwrap().parse::<u64>().unwrap()
            > listed["version"].as_str().unwrap().parse().unwrap()
    );
    assert_ne!(r.body["files"][0]["etag"], listed["files"][0]["etag"]);
    let r = get(&t, &format!("{base}/{href}"), &[("authorization", &auth)]).await;
    assert_eq!(r.raw, b"new content");
}

#[tokio::test]
async fn only_the_vcsp_user_with_the_publish_password_reads_and_nothing_else() {
    let t = TestApp::new().await;
    let library = published(&t, "guarded", LibraryAuth::Basic, true).await;
    let lib = format!("/cls/vcsp/lib/{}/lib.json", library.id);
    for auth in [
        None,
        Some(basic("vcsp", "wrong")),
        Some(basic("admin", PASSWORD)),
    ] {
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let r = get(&t, &lib, &headers).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}: {}", r.text);
        assert_eq!(r.headers["www-authenticate"], "Basic realm=\"VCSP\"");
        assert_eq!(r.body["code"], "UNAUTHENTICATED", "{}", r.text);
    }
    // The vcsp credentials are no user's: the APIs refuse them.
    let r = t
        .send(
            Method::POST,
            "/api/session",
            &[("authorization", &vcsp())],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let r = get(
        &t,
        "/depot/PROD/COMP/Component/x.json",
        &[("authorization", &vcsp())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}

#[tokio::test]
async fn unpublished_unknown_and_open_libraries() {
    let t = TestApp::new().await;
    let hidden = published(&t, "hidden", LibraryAuth::Basic, false).await;
    let open = published(&t, "open", LibraryAuth::None, true).await;
    for path in [
        format!("/cls/vcsp/lib/{}/lib.json", hidden.id),
        format!("/cls/vcsp/lib/{}/lib.json", uuid::Uuid::new_v4()),
        "/cls/vcsp/lib/not-a-uuid/lib.json".to_owned(),
        format!(
            "/cls/vcsp/lib/{}/{}/item.json",
            open.id,
            uuid::Uuid::new_v4()
        ),
        format!("/cls/vcsp/lib/{}/nothing", open.id),
    ] {
        let r = get(&t, &path, &[("authorization", &vcsp())]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(r.body["code"].is_string(), "{path}: {}", r.text);
    }
    let r = get(&t, &format!("/cls/vcsp/lib/{}/items.json", open.id), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"], Value::Array(vec![]));
}

/// A guessed publish password is slowed like a guessed login: of 30 wrong guesses at
/// once from one address, 6 are checked (401) and 19 refused at once (503 with
/// `Retry-After`, in VCSP's dialect); the right password still passes at once from
/// another address, and from the guesser's address for another library, while the
/// guesser's own next try of this library is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessed_publish_passwords_are_slowed_like_logins() {
    let t = TestApp::new().await;
    let guarded = published(&t, "guarded", LibraryAuth::Basic, true).await;
    let other = published(&t, "other", LibraryAuth::Basic, true).await;
    let lib = |l: &Library| format!("/cls/vcsp/lib/{}/lib.json", l.id);
    let guessing = "192.0.2.66";
    let wrong = basic("vcsp", "wrong");
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let request = from(
            guessing,
            Method::GET,
            &lib(&guarded),
            &[("authorization", &wrong)],
            None,
        );
        let router = t.router.clone();
        guesses.spawn(async move { call(&router, request).await });
    }
    let (mut failed, mut refused) = (0, 0);
    while failed < 6 || refused < 19 {
        let (status, body) = guesses.join_next().await.unwrap().unwrap();
        match status {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
                failed += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(body["referenceId"].is_string(), "{body}");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(refused, 19);
    guesses.abort_all();

    let started = std::time::Instant::now();
    let ok = vcsp();
    for (peer, library) in [("192.0.2.67", &guarded), (guessing, &other)] {
        let request = from(
            peer,
            Method::GET,
            &lib(library),
            &[("authorization", &ok)],
            None,
        );
        let (status, body) = call(&t.router, request).await;
        assert_eq!(status, StatusCode::OK, "{peer} {}: {body}", library.name);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let request = from(
        guessing,
        Method::GET,
        &lib(&guarded),
        &[("authorization", &ok)],
        None,
    );
    let response = tower::ServiceExt::oneshot(t.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=16).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
}
