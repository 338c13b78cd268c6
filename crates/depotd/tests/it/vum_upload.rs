//! `POST /vum-fileupload`: raw and multipart uploads streamed into the blob store,
//! their records, the refusals (in the vSphere REST error dialect) and expiry.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode};
use depot_model::{FileId, ManualClock, Role, UserName};
use http_body::Frame;
use sha2::{Digest, Sha256};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp, basic};

const BOUNDARY: &str = "----depotd-test-boundary";

/// `n` bytes that are not all alike (so digests differ per seed).
fn content(n: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A body delivered in chunks, then ending or (with `fail`) failing like a dropped
/// connection.
struct Chunks {
    chunks: VecDeque<Bytes>,
    fail: bool,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.chunks.pop_front() {
            Some(c) => Poll::Ready(Some(Ok(Frame::data(c)))),
            None if self.fail => Poll::Ready(Some(Err(io::Error::other("connection reset")))),
            None => Poll::Ready(None),
        }
    }
}

/// A streamed body (no length) of `data` in 64 KiB chunks.
fn streamed(data: &[u8], fail: bool) -> Body {
    Body::new(Chunks {
        chunks: data.chunks(64 << 10).map(Bytes::copy_from_slice).collect(),
        fail,
    })
}

/// A `multipart/form-data` body: a text field, then the file.
fn multipart(file_name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\
             uploaded bundle\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; \
             name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/zip\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn post(t: &TestApp, headers: &[(&str, &str)], body: Body) -> Reply {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/vum-fileupload");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    t.call(b.body(body).unwrap()).await
}

async fn post_raw(t: &TestApp, sid: &str, data: &[u8]) -> Reply {
    let length = data.len().to_string();
    post(
        t,
        &[
            ("vmware-api-session-id", sid),
            ("content-type", "application/octet-stream"),
            ("content-length", &length),
        ],
        Body::from(data.to_vec()),
    )
    .await
}

async fn post_multipart(t: &TestApp, sid: &str, body: Body) -> Reply {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    post(
        t,
        &[
            ("vmware-api-session-id", sid),
            ("content-type", &content_type),
        ],
        body,
    )
    .await
}

fn file_id(r: &Reply) -> FileId {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text.parse().unwrap()
}

/// Nothing stored: no uploaded file references a blob, and no blob exists.
async fn nothing_stored(t: &TestApp) {
    assert!(t.app.store.blob_references().await.unwrap().is_empty());
    assert!(t.app.blobs.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn raw_and_multipart_uploads_are_stored_under_their_digest() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let admin = UserName::parse(ADMIN).unwrap();

    let raw = content(3 << 20, 1);
    let r = post_raw(&t, &sid, &raw).await;
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    let id = file_id(&r);
    let file = t.app.store.get_upload(id).await.unwrap().unwrap();
    assert_eq!(file.digest.to_string(), sha256_hex(&raw));
    assert_eq!(file.size, raw.len() as u64);
    assert_eq!(file.owner, admin);
    assert_eq!(file.file_name, None);
    assert_eq!(file.used_by, None);
    assert_eq!(file.expires - file.created, chrono::TimeDelta::hours(24));
    assert_eq!(
        t.app.blobs.stat(&file.digest).await.unwrap(),
        Some(raw.len() as u64)
    );
    assert!(
        t.app
            .store
            .blob_references()
            .await
            .unwrap()
            .contains(&file.digest)
    );

    // Multipart, streamed in chunks: the file part only, its name kept (no path).
    let zip = content((2 << 20) + 12_345, 2);
    // curl and requests escape a backslash in a quoted filename.
    let body = multipart("C:\\\\bundles\\\\VMware-ESXi-9.0-depot.zip", &zip);
    let id = file_id(&post_multipart(&t, &sid, streamed(&body, false)).await);
    let file = t.app.store.get_upload(id).await.unwrap().unwrap();
    assert_eq!(file.digest.to_string(), sha256_hex(&zip));
    assert_eq!(file.size, zip.len() as u64);
    assert_eq!(file.file_name.as_deref(), Some("VMware-ESXi-9.0-depot.zip"));
    let mut stored = Vec::new();
    let (mut reader, _) = t.app.blobs.open(&file.digest).await.unwrap();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut stored)
        .await
        .unwrap();
    assert!(stored == zip, "the blob holds exactly the file part");

    // Two uploads of one content: two file ids, one blob.
    let again = file_id(&post_raw(&t, &sid, &raw).await);
    let first = t.app.store.get_upload(again).await.unwrap().unwrap();
    assert_eq!(first.digest.to_string(), sha256_hex(&raw));
    assert_eq!(t.app.blobs.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn basic_auth_a_raw_file_name_and_a_json_answer() {
    let t = TestApp::new().await;
    let r = post(
        &t,
        &[
            ("authorization", &basic(ADMIN, ADMIN_PASSWORD)),
            ("content-type", "application/zip"),
            ("content-disposition", "attachment; filename=\"depot.zip\""),
            ("accept", "application/json"),
        ],
        Body::from(content(1000, 3)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json");
    let id: FileId = r.body.as_str().unwrap().parse().unwrap();
    let file = t.app.store.get_upload(id).await.unwrap().unwrap();
    assert_eq!(file.file_name.as_deref(), Some("depot.zip"));
}

#[tokio::test]
async fn no_session_is_401_and_a_reader_is_403_in_the_vsphere_dialect() {
    let t = TestApp::new().await;
    let data = content(10_000, 4);
    let r = post(&t, &[], Body::from(data.clone())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error_type"], "UNAUTHENTICATED", "{}", r.text);
    let r = post_raw(&t, "not-a-session", &data).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error_type"], "UNAUTHENTICATED", "{}", r.text);

    t.add_user("reader@vsphere.local", Role::ReadOnly, "Reader!23-test")
        .await;
    let sid = t
        .vsphere_session("reader@vsphere.local", "Reader!23-test")
        .await;
    let r = post_raw(&t, &sid, &data).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["error_type"], "UNAUTHORIZED", "{}", r.text);
    assert!(
        r.text.contains("VcIntegrity.lifecycleSettings.Write"),
        "{}",
        r.text
    );
    nothing_stored(&t).await;
}

#[tokio::test]
async fn an_upload_cut_off_stores_nothing() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let data = content(3 << 20, 5);
    // A raw body whose connection drops.
    let r = post(
        &t,
        &[("vmware-api-session-id", &sid)],
        streamed(&data, true),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error_type"], "INVALID_ARGUMENT", "{}", r.text);
    assert!(r.text.contains("cut off"), "{}", r.text);
    // A multipart body that ends inside the file part (no closing boundary).
    let body = multipart("depot.zip", &data);
    let cut = &body[..body.len() / 2];
    let r = post_multipart(&t, &sid, streamed(cut, false)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("closing boundary"), "{}", r.text);
    nothing_stored(&t).await;
}

#[tokio::test]
async fn broken_multipart_bodies_are_clear_400s() {
    let t = TestApp::new().await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let field = |i: usize| {
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")
    };
    let many: String = (0..40).map(field).collect::<String>() + &format!("--{BOUNDARY}--\r\n");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // A huge preamble: refused after 64 KiB, not buffered.
        (vec![b'p'; 8 << 20], "no boundary within"),
        (many.into_bytes(), "parts come before"),
        (
            format!("{}--{BOUNDARY}--\r\n", field(0)).into_bytes(),
            "no file part",
        ),
        (b"not multipart at all".to_vec(), "no boundary line"),
    ];
    for (body, expected) in cases {
        let r = post_multipart(&t, &sid, streamed(&body, false)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{expected}: {}", r.text);
        assert_eq!(r.body["error_type"], "INVALID_ARGUMENT", "{}", r.text);
        assert!(r.text.contains(expected), "{expected:?}: {}", r.text);
    }
    let r = post(
        &t,
        &[
            ("vmware-api-session-id", &sid),
            ("content-type", "multipart/form-data"),
        ],
        Body::from("x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("boundary"), "{}", r.text);
    // An empty raw body.
    let r = post_raw(&t, &sid, b"").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("empty"), "{}", r.text);
    assert!(t.app.store.blob_references().await.unwrap().is_empty());
}

#[tokio::test]
async fn uploads_past_the_limit_are_413_and_store_nothing() {
    let t = TestApp::with(|c| c.esx.upload_max_bytes = 1 << 20, Vec::new()).await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let data = content(2 << 20, 6);
    // Announced by Content-Length: refused before reading.
    let r = post_raw(&t, &sid, &data).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    // vSphere keeps transport statuses with INVALID_REQUEST bodies.
    assert_eq!(r.body["error_type"], "INVALID_REQUEST", "{}", r.text);
    assert!(r.text.contains("larger than the maximum"), "{}", r.text);
    // Streamed: cut at the cap.
    let body = multipart("big.zip", &data);
    let r = post_multipart(&t, &sid, streamed(&body, false)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    nothing_stored(&t).await;
}

#[tokio::test]
async fn unused_uploads_expire_and_taken_or_used_ones_stay() {
    let clock = ManualClock::starting_now();
    let t = TestApp::with_clock(
        |c| c.esx.upload_ttl = Duration::from_mins(1),
        Vec::new(),
        Arc::clone(&clock) as Arc<dyn depot_model::Clock>,
    )
    .await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let admin = UserName::parse(ADMIN).unwrap();
    let (a_data, b_data) = (content(100_000, 7), content(100_000, 8));
    let a = file_id(&post_raw(&t, &sid, &a_data).await);
    let b = file_id(&post_raw(&t, &sid, &b_data).await);
    let uploads = &t.app.uploads;

    // Unknown ids are no file; a known one is handed out (and kept a while longer).
    assert_eq!(uploads.take_upload("c1f9e6b2", &admin).await.unwrap(), None);
    let other = FileId::new().to_string();
    assert_eq!(uploads.take_upload(&other, &admin).await.unwrap(), None);
    clock.advance(Duration::from_secs(30));
    let taken = uploads
        .take_upload(&a.to_string(), &admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.digest.to_string(), sha256_hex(&a_data));

    clock.advance(Duration::from_secs(29));
    assert_eq!(uploads.expire_uploads().await.unwrap(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(uploads.expire_uploads().await.unwrap(), 1);
    assert_eq!(t.app.store.get_upload(b).await.unwrap(), None);
    assert_eq!(
        uploads.take_upload(&b.to_string(), &admin).await.unwrap(),
        None
    );
    let refs = t.app.store.blob_references().await.unwrap();
    assert_eq!(
        refs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![sha256_hex(&a_data)]
    );

    // Used by a depot, it never expires, and no other import gets it.
    assert!(uploads.mark_used(a, "offline-depot-1").await.unwrap());
    clock.advance(Duration::from_hours(48));
    assert_eq!(uploads.expire_uploads().await.unwrap(), 0);
    assert_eq!(
        uploads.take_upload(&a.to_string(), &admin).await.unwrap(),
        None
    );
    assert_eq!(t.app.store.blob_references().await.unwrap().len(), 1);
}
