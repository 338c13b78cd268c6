//! SDDC Manager product version catalogs: signed uploads and merges through the API,
//! and every bad input leaving the stored catalog as it was.

use std::path::{Path, PathBuf};

use axum::http::{Method, StatusCode};
use depot_catalog::testkit::{CatalogSpec, generate_catalog};
use serde_json::{Value, json};

use crate::pki::Ca;
use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

struct Fixture {
    t: TestApp,
    bearer: String,
    import: PathBuf,
    ca: Ca,
    _files: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let files = tempfile::tempdir().unwrap();
    let import = files.path().join("import");
    std::fs::create_dir_all(&import).unwrap();
    let ca = Ca::new("depotd test catalog CA");
    let trust = files.path().join("trust.pem");
    std::fs::write(&trust, ca.cert.pem()).unwrap();
    let (import_dir, trust_file) = (import.clone(), trust.clone());
    let t = TestApp::with(
        move |c| {
            c.catalog.import_dir = Some(import_dir);
            c.catalog.trust = vec![trust_file];
            c.catalog.max_file_bytes = 4 * 1024 * 1024;
        },
        Vec::new(),
    )
    .await;
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    Fixture {
        t,
        bearer,
        import,
        ca,
        _files: files,
    }
}

impl Fixture {
    /// Writes `catalog` and a signature by the trusted CA's signer under `name`.
    fn put_signed(&self, name: &str, catalog: &[u8]) -> (PathBuf, PathBuf) {
        let signer = self.ca.signer("catalog signer", 2020, 2040);
        self.put(name, catalog, signer.sign(catalog).as_bytes())
    }

    fn put(&self, name: &str, catalog: &[u8], sig: &[u8]) -> (PathBuf, PathBuf) {
        let c = self.import.join(format!("{name}.json"));
        let s = self.import.join(format!("{name}.json.sig"));
        std::fs::write(&c, catalog).unwrap();
        std::fs::write(&s, sig).unwrap();
        (c, s)
    }

    async fn submit(&self, method: Method, catalog: &Path, sig: &Path) -> Reply {
        let body =
            json!({"productVersionCatalogFilePath": catalog, "signatureFilePath": sig}).to_string();
        self.t
            .send(
                method,
                "/v1/product-version-catalogs",
                &[("authorization", &self.bearer)],
                Some(&body),
            )
            .await
    }

    /// Submits, runs the task and returns the final upload task.
    async fn upload(&self, method: Method, catalog: &Path, sig: &Path) -> Value {
        let r = self.submit(method, catalog, sig).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(r.body["status"], "IN_PROGRESS");
        let id = r.body["taskId"].as_str().unwrap().to_owned();
        self.t.app.services.tasks.run_pending().await.unwrap();
        let r = self
            .t
            .send(
                Method::GET,
                &format!("/v1/product-version-catalogs/upload-tasks/{id}"),
                &[("authorization", &self.bearer)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    async fn current(&self) -> Reply {
        self.t
            .send(
                Method::GET,
                "/v1/product-version-catalogs",
                &[("authorization", &self.bearer)],
                None,
            )
            .await
    }

    /// Uploads the baseline catalog (sequence 10, 5 patches) and returns its bytes.
    async fn baseline(&self) -> Vec<u8> {
        let catalog = generate_catalog(10, 5);
        let (c, s) = self.put_signed("base", &catalog);
        let task = self.upload(Method::POST, &c, &s).await;
        assert_eq!(task["status"], "SUCCEEDED", "{task}");
        catalog
    }

    /// Asserts a failed upload with `code` and that the stored catalog is still `expected`.
    async fn assert_refused(&self, task: &Value, code: &str, expected: &[u8]) {
        assert_eq!(task["status"], "FAILED", "{task}");
        assert_eq!(task["errorResponse"]["errorCode"], code, "{task}");
        assert!(
            task["errorResponse"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(
            self.current().await.text.as_bytes(),
            expected,
            "the stored catalog changed"
        );
    }
}

#[tokio::test]
async fn upload_patch_and_read_back() {
    let f = fixture().await;
    let r = f.current().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["errorCode"], "PRODUCT_VERSION_CATALOG_NOT_FOUND");
    let base = f.baseline().await;
    let r = f.current().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.text.as_bytes(),
        &base[..],
        "a replaced catalog is served byte for byte"
    );

    // PATCH: three new patches (indices 5..8) and a newer copy of patch 0.
    let mut spec = CatalogSpec::new(11, 8);
    spec.salt = 1;
    let patch_file = spec.to_json();
    let (c, s) = f.put_signed("patch", &patch_file);
    let task = f.upload(Method::PATCH, &c, &s).await;
    assert_eq!(task["status"], "SUCCEEDED", "{task}");
    let merged: Value = serde_json::from_str(&f.current().await.text).unwrap();
    assert_eq!(merged["sequenceNumber"], 11);
    let count: usize = merged["patches"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().unwrap().len())
        .sum();
    assert_eq!(count, 8);
    // The task log says what was added and replaced.
    let history = f.t.app.catalogs.history().await.unwrap();
    assert_eq!(history.len(), 2);
    let task_id = history[1].task_id;
    let stored = f.t.app.services.tasks.get(task_id).await.unwrap();
    let texts: Vec<&str> = stored
        .messages
        .iter()
        .map(|m| m.message.default.as_str())
        .collect();
    assert!(texts.iter().any(|t| t.ends_with(" added")), "{texts:?}");
    assert!(texts.iter().any(|t| t.ends_with(" replaced")), "{texts:?}");
    assert_eq!(history[0].sequence_number, 10);
    assert_eq!(history[1].sequence_number, 11);

    // The same file again: an idempotent replace is not an error.
    let (c, s) = f.put_signed("base-again", &base);
    let r = f.upload(Method::POST, &c, &s).await;
    assert_eq!(r["status"], "FAILED", "sequence 10 < 11 is a rollback: {r}");
    assert_eq!(
        r["errorResponse"]["errorCode"],
        "PRODUCT_VERSION_CATALOG_ROLLBACK"
    );
}

#[tokio::test]
async fn served_in_the_coding_the_client_prefers_with_one_etag_each() {
    let f = fixture().await;
    let base = f.baseline().await;
    let get = |accept: &'static str, if_none_match: Option<String>| {
        let f = &f;
        async move {
            let mut headers = vec![
                ("authorization", f.bearer.as_str()),
                ("accept-encoding", accept),
            ];
            if let Some(tag) = if_none_match.as_deref() {
                headers.push(("if-none-match", tag));
            }
            f.t.send(Method::GET, "/v1/product-version-catalogs", &headers, None)
                .await
        }
    };
    let coding = |r: &Reply| {
        r.headers
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let etag = |r: &Reply| r.headers["etag"].to_str().unwrap().to_owned();

    let zstd = get("gzip, deflate, br, zstd", None).await;
    assert_eq!(zstd.status, StatusCode::OK);
    assert_eq!(coding(&zstd).as_deref(), Some("zstd"));
    assert_eq!(zstd::decode_all(&zstd.raw[..]).unwrap(), base);
    assert!(zstd.raw.len() < base.len());
    assert_eq!(zstd.headers["vary"], "accept-encoding");

    let gzip = get("zstd;q=0.5, gzip", None).await;
    assert_eq!(coding(&gzip).as_deref(), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip.raw[..]), &mut plain)
        .unwrap();
    assert_eq!(plain, base);

    let identity = get("identity", None).await;
    assert_eq!(coding(&identity), None);
    assert_eq!(identity.raw, base);

    let tags = [etag(&zstd), etag(&gzip), etag(&identity)];
    assert!(
        tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2],
        "{tags:?}"
    );

    // A tag validates its own coding only.
    let again = get("zstd", Some(tags[0].clone())).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.raw.is_empty());
    assert_eq!(etag(&again), tags[0]);
    assert_eq!(coding(&again), None);
    let other = get("gzip", Some(tags[0].clone())).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(coding(&other).as_deref(), Some("gzip"));
}

#[tokio::test]
async fn a_weak_tag_of_the_catalog_validates_it_and_ranges_resume() {
    let f = fixture().await;
    let base = f.baseline().await;
    let get = |extra: Vec<(&'static str, String)>| {
        let f = &f;
        async move {
            let mut headers = vec![
                ("authorization", f.bearer.clone()),
                ("accept-encoding", "identity".to_owned()),
            ];
            headers.extend(extra);
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            f.t.send(Method::GET, "/v1/product-version-catalogs", &headers, None)
                .await
        }
    };
    let full = get(Vec::new()).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.raw, base);
    assert_eq!(full.headers["accept-ranges"], "bytes");
    let etag = full.headers["etag"].to_str().unwrap().to_owned();

    // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"<etag>" is a match.
    let weak = format!("W/{etag}");
    let again = get(vec![("if-none-match", weak.clone())]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.raw.is_empty());
    assert_eq!(again.headers["etag"], etag.as_str());
    assert_eq!(again.headers["vary"], "accept-encoding");
    let listed = get(vec![("if-none-match", format!("\"other\", {weak}"))]).await;
    assert_eq!(listed.status, StatusCode::NOT_MODIFIED);

    // A range resumes the same representation; If-Range compares strongly.
    let part = get(vec![
        ("range", "bytes=10-19".to_owned()),
        ("if-range", etag.clone()),
    ])
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.raw, &base[10..20]);
    assert_eq!(
        part.headers["content-range"],
        format!("bytes 10-19/{}", base.len()).as_str()
    );
    let whole = get(vec![
        ("range", "bytes=10-19".to_owned()),
        ("if-range", weak),
    ])
    .await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.raw, base);

    // Refusals come in the SDDC Manager error body, with what RFC 9110 requires.
    let beyond_end = get(vec![("range", format!("bytes={}-", base.len()))]).await;
    assert_eq!(beyond_end.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond_end.body["errorCode"], "RANGE_NOT_SATISFIABLE",
        "{}",
        beyond_end.text
    );
    assert_eq!(
        beyond_end.headers["content-range"],
        format!("bytes */{}", base.len()).as_str()
    );
    let stale = get(vec![("if-match", "\"other\"".to_owned())]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        stale.body["errorCode"], "PRECONDITION_FAILED",
        "{}",
        stale.text
    );
}

#[tokio::test]
async fn bad_files_fail_the_task_and_keep_the_catalog() {
    let f = fixture().await;
    let base = f.baseline().await;

    let (c, s) = f.put_signed("notjson", b"{\"version\": 1, ");
    f.assert_refused(
        &f.upload(Method::POST, &c, &s).await,
        "PRODUCT_VERSION_CATALOG_INVALID_JSON",
        &base,
    )
    .await;

    let wrong_shape = br#"{"version": 1, "sequenceNumber": 20, "creationTime": "2025-03-21T09:42:55.024Z", "publishedTime": "2025-03-21T09:42:55.024Z", "patches": []}"#;
    let (c, s) = f.put_signed("shape", wrong_shape);
    let task = f.upload(Method::POST, &c, &s).await;
    assert!(
        task["errorResponse"]["message"]
            .as_str()
            .unwrap()
            .contains("patches"),
        "{task}"
    );
    assert_eq!(task["status"], "FAILED");

    // Changed by one byte after signing.
    let newer = generate_catalog(20, 3);
    let signer = f.ca.signer("catalog signer", 2020, 2040);
    let sig = signer.sign(&newer);
    let mut tampered = newer.clone();
    let at = tampered.iter().position(|b| *b == b'9').unwrap();
    tampered[at] = b'8';
    let (c, s) = f.put("tampered", &tampered, sig.as_bytes());
    f.assert_refused(
        &f.upload(Method::POST, &c, &s).await,
        "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID",
        &base,
    )
    .await;

    // Signed under another CA.
    let other = Ca::new("someone else").signer("intruder", 2020, 2040);
    let (c, s) = f.put("untrusted", &newer, other.sign(&newer).as_bytes());
    let task = f.upload(Method::POST, &c, &s).await;
    assert_eq!(task["status"], "FAILED");
    assert_ne!(f.current().await.text.as_bytes(), &newer[..]);

    // Expired and not yet valid signing certificates.
    for (name, from, to) in [("expired", 2020, 2021), ("future", 2039, 2040)] {
        let s = f.ca.signer(name, from, to);
        let (c, sp) = f.put(name, &newer, s.sign(&newer).as_bytes());
        let task = f.upload(Method::POST, &c, &sp).await;
        assert_eq!(task["status"], "FAILED", "{name}: {task}");
        assert_eq!(f.current().await.text.as_bytes(), &base[..]);
    }

    // Truncated and garbled signature files.
    let good = signer.sign(&newer);
    for (name, sig) in [
        ("truncated", good[..good.len() / 3].to_owned()),
        ("garbled", "SHA256(x)= zz!!\n".to_owned()),
    ] {
        let (c, s) = f.put(name, &newer, sig.as_bytes());
        let task = f.upload(Method::POST, &c, &s).await;
        assert_eq!(task["status"], "FAILED", "{name}: {task}");
        assert_eq!(f.current().await.text.as_bytes(), &base[..]);
    }

    // Rollback and an equal sequence number with other content.
    for (name, seq) in [("rollback", 9), ("conflict", 10)] {
        let (c, s) = f.put_signed(name, &generate_catalog(seq, 2));
        let task = f.upload(Method::POST, &c, &s).await;
        assert_eq!(task["status"], "FAILED", "{name}: {task}");
        assert_eq!(f.current().await.text.as_bytes(), &base[..]);
    }

    // A patch file with the same productVersion twice.
    let mut dup: Value = serde_json::from_slice(&generate_catalog(30, 1)).unwrap();
    let (ptype, list) = dup["patches"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    let mut twice = list.as_array().unwrap().clone();
    twice.push(twice[0].clone());
    dup["patches"][&ptype] = Value::Array(twice);
    let (c, s) = f.put_signed("dup", &serde_json::to_vec(&dup).unwrap());
    let task = f.upload(Method::PATCH, &c, &s).await;
    assert_eq!(task["status"], "FAILED", "{task}");
    assert_eq!(f.current().await.text.as_bytes(), &base[..]);
}

#[tokio::test]
async fn bad_paths_and_requests_are_refused_at_once() {
    let f = fixture().await;
    let (_, s) = f.put_signed("ok", &generate_catalog(1, 1));
    let outside = f.import.parent().unwrap().join("outside.json");
    std::fs::write(&outside, generate_catalog(1, 1)).unwrap();
    std::os::unix::fs::symlink(&outside, f.import.join("escape.json")).unwrap();
    std::fs::create_dir(f.import.join("dir.json")).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(f.import.join("fifo.json"))
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(f.import.join("big.json"), vec![b' '; 5 * 1024 * 1024]).unwrap();
    let traversal = f.import.join("../outside.json");
    let cases: Vec<(PathBuf, &str)> = vec![
        (traversal, "outside the import directory"),
        // A link out of the directory is answered like a missing file (no oracle).
        (
            f.import.join("escape.json"),
            "no such file in the import directory",
        ),
        (f.import.join("dir.json"), "not a regular file"),
        (f.import.join("fifo.json"), "not a regular file"),
        (f.import.join("big.json"), "over the limit"),
        (
            f.import.join("missing.json"),
            "no such file in the import directory",
        ),
    ];
    for (path, why) in cases {
        let r = f.submit(Method::POST, &path, &s).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}: {}",
            path.display(),
            r.text
        );
        assert_eq!(r.body["errorCode"], "PRODUCT_VERSION_CATALOG_PATH_INVALID");
        let message = r.body["message"].as_str().unwrap();
        assert!(
            message.contains(why) && message.contains(&*path.to_string_lossy()),
            "{message}"
        );
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_privilege_comes_before_the_body() {
    let f = fixture().await;
    let (c, s) = f.put_signed("ok", &generate_catalog(1, 1));
    for body in [
        json!({"signatureFilePath": s}),
        json!({"productVersionCatalogFilePath": c}),
        json!({}),
    ] {
        let r =
            f.t.send(
                Method::POST,
                "/v1/product-version-catalogs",
                &[("authorization", &f.bearer)],
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
    }
    let body = json!({"productVersionCatalogFilePath": c, "signatureFilePath": s}).to_string();
    let r =
        f.t.send(
            Method::POST,
            "/v1/product-version-catalogs",
            &[],
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    f.t.add_user(
        "ro@vsphere.local",
        depot_model::Role::ReadOnly,
        "read-only-pw",
    )
    .await;
    let ro = format!(
        "Bearer {}",
        f.t.bearer("ro@vsphere.local", "read-only-pw").await
    );
    let r =
        f.t.send(
            Method::PATCH,
            "/v1/product-version-catalogs",
            &[("authorization", &ro)],
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A caller without the privilege learns nothing about how its body would parse.
    for (method, path) in [
        (Method::PATCH, "/v1/product-version-catalogs"),
        (Method::POST, "/v1/product-version-catalogs"),
        (Method::PUT, "/v1/system/settings/depot"),
    ] {
        let r =
            f.t.send(
                method.clone(),
                path,
                &[("authorization", &ro)],
                Some("{not json"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.text
        );
    }
    let r =
        f.t.send(
            Method::GET,
            &format!(
                "/v1/product-version-catalogs/upload-tasks/{}",
                uuid::Uuid::new_v4()
            ),
            &[("authorization", &f.bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.t.app.catalogs.history().await.unwrap().len(),
        0,
        "nothing was accepted"
    );
}

#[tokio::test]
async fn concurrent_uploads_apply_in_submission_order() {
    let f = fixture().await;
    f.t.app.services.tasks.start();
    let mut ids = Vec::new();
    for seq in [1, 2, 3] {
        let (c, s) = f.put_signed(&format!("seq{seq}"), &generate_catalog(seq, 2));
        let r = f.submit(Method::POST, &c, &s).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        ids.push(r.body["taskId"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let r =
                f.t.send(
                    Method::GET,
                    &format!("/v1/product-version-catalogs/upload-tasks/{id}"),
                    &[("authorization", &f.bearer)],
                    None,
                )
                .await;
            if r.body["status"] != "IN_PROGRESS" {
                assert_eq!(r.body["status"], "SUCCEEDED", "{}", r.text);
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "upload {id} did not finish"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let history: Vec<i64> =
        f.t.app
            .catalogs
            .history()
            .await
            .unwrap()
            .iter()
            .map(|v| v.sequence_number)
            .collect();
    assert_eq!(
        history,
        vec![1, 2, 3],
        "applied one after the other, in order"
    );
}
