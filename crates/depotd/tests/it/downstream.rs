//! The downstream depot under `/depot/`: auth, lookup, validators, conditionals and
//! ranges, over SQLite and the filesystem blob store.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use depot_auth::{AuthService, AuthSettings, Secret};
use depot_blobs::{BlobStore, Expected, FsBlobStore, Sha256Digest};
use depot_metadata::{DepotSyncApplied, DepotSyncApply, MetadataStore, SqliteStore};
use depot_model::{DepotFile, Role, SyncOutcome, SyncRecord, TaskId};
use depotd::downstream::{self, Access, DownstreamState};
use tower::ServiceExt;

const CATALOG: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json";
const SIGNATURE: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig";
const CATALOG_JSON: &[u8] = br#"{"patches":{},"releases":[]}"#;
const READER: &str = "reader@depot.local";
const OTHER: &str = "other@depot.local";
const PASSWORD: &str = "Reader!23-test";
/// 2023-11-14T22:13:20Z, when the test files were "synced".
const SYNCED: i64 = 1_700_000_000;
const SYNCED_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

/// The signature file's bytes: 0, 1, …, 255, so ranges are easy to check.
fn signature() -> Vec<u8> {
    (0..=255).collect()
}

fn etag(data: &[u8]) -> String {
    format!("\"{}\"", Sha256Digest::compute(data))
}

fn basic(user: &str, password: &str) -> String {
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {pair}")
}

struct Depot {
    router: Router,
    store: Arc<dyn MetadataStore>,
    blobs: Arc<FsBlobStore>,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("<missing>", |v| v.to_str().unwrap())
    }
}

impl Depot {
    /// A depot readable per `access`, with users `READER` and `OTHER`, holding the
    /// catalog and its signature.
    async fn new(access: Access) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db").display());
        let store: Arc<dyn MetadataStore> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        let blobs = Arc::new(FsBlobStore::open(dir.path().join("blobs")).await.unwrap());
        let settings = AuthSettings {
            cache_ttl: Duration::from_mins(10),
            ..AuthSettings::default()
        };
        let auth = Arc::new(AuthService::new(store.clone(), settings));
        for user in [READER, OTHER] {
            auth.add_user(user, Role::ReadOnly, Secret::new(PASSWORD))
                .await
                .unwrap();
        }
        let state = DownstreamState {
            store: store.clone(),
            blobs: blobs.clone(),
            auth,
            access: Arc::new(access),
            esx: Arc::default(),
            in_use: depot_esx_depots::InUse::default(),
        };
        let router = Router::new().nest("/depot", downstream::router(state));
        let depot = Self {
            router,
            store,
            blobs,
            _dir: dir,
        };
        depot
            .publish(
                &[(CATALOG, CATALOG_JSON), (SIGNATURE, &signature())],
                SYNCED,
            )
            .await;
        depot
    }

    /// Stores the contents and makes `files` the synced set, modified at `synced`.
    async fn publish(&self, files: &[(&str, &[u8])], synced: i64) {
        let mut rows = Vec::new();
        for (path, mut data) in files.iter().copied() {
            let info = self
                .blobs
                .put(&mut data, Expected::default())
                .await
                .unwrap();
            rows.push(row(path, info.digest, info.size, synced));
        }
        self.apply(rows).await;
    }

    async fn apply(&self, files: Vec<DepotFile>) {
        let now = depot_model::now();
        let apply = DepotSyncApply {
            catalog: None,
            files,
            record: SyncRecord {
                task_id: TaskId::new(),
                outcome: SyncOutcome::Succeeded,
                error_message: None,
                completed_at: now,
                last_success_at: Some(now),
            },
        };
        let applied = self.store.apply_depot_sync(&apply).await.unwrap();
        assert_eq!(applied, DepotSyncApplied::Applied(None));
    }

    /// Sends exactly `headers`.
    async fn request(&self, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: body.to_vec(),
        }
    }

    /// `GET /depot/<path>` as `READER`, with `headers`.
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.as_reader(Method::GET, path, headers).await
    }

    async fn as_reader(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        let auth = basic(READER, PASSWORD);
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        self.request(method, &format!("/depot/{path}"), &all).await
    }
}

fn row(path: &str, digest: Sha256Digest, size: u64, synced: i64) -> DepotFile {
    DepotFile {
        path: path.to_owned(),
        digest,
        size,
        modified_at: chrono::DateTime::from_timestamp(synced, 0).unwrap(),
        upstream_etag: Some("\"upstream\"".to_owned()),
        upstream_last_modified: None,
    }
}

#[tokio::test]
async fn serves_whole_files_with_their_validators() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let reply = depot.get(CATALOG, &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, CATALOG_JSON);
    assert_eq!(
        reply.header("content-length"),
        CATALOG_JSON.len().to_string()
    );
    assert_eq!(reply.header("etag"), etag(CATALOG_JSON));
    assert_eq!(reply.header("last-modified"), SYNCED_DATE);
    assert_eq!(reply.header("accept-ranges"), "bytes");
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(reply.header("cache-control"), "no-cache");
    assert_eq!(reply.header("content-range"), "<missing>");

    let reply = depot.get(SIGNATURE, &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, signature());
    assert_eq!(reply.header("content-type"), "application/octet-stream");
    assert_eq!(reply.header("etag"), etag(&signature()));

    // The path is percent-decoded before the lookup.
    let encoded = CATALOG.replace(".json", "%2Ejson");
    assert_eq!(depot.get(&encoded, &[]).await.body, CATALOG_JSON);
}

#[tokio::test]
async fn head_sends_the_get_headers_without_a_body() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let get = depot.get(CATALOG, &[]).await;
    let head = depot.as_reader(Method::HEAD, CATALOG, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    for name in [
        "content-length",
        "etag",
        "last-modified",
        "accept-ranges",
        "content-type",
        "cache-control",
    ] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    let head = depot
        .as_reader(Method::HEAD, SIGNATURE, &[("range", "bytes=0-9")])
        .await;
    assert_eq!(head.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(head.header("content-range"), "bytes 0-9/256");
    assert_eq!(head.header("content-length"), "10");
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn unknown_paths_directories_and_other_methods_are_refused() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    for path in [
        "PROD/metadata/nothing.json",
        "PROD/metadata",
        "PROD/metadata/productVersionCatalog/v1/",
        "prod/metadata/productVersionCatalog/v1/productVersionCatalog.json",
    ] {
        let reply = depot.get(path, &[]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(body["error"].is_string(), "{body}");
    }
    let reply = depot.as_reader(Method::POST, CATALOG, &[]).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "GET, HEAD");
}

#[tokio::test]
async fn credentials_are_checked_before_the_lookup() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let uri = format!("/depot/{CATALOG}");
    let wrong = basic(READER, "wrong-password");
    let bearer = "Bearer abc";
    for headers in [
        vec![],
        vec![("authorization", wrong.as_str())],
        vec![("authorization", bearer)],
    ] {
        for uri in [uri.as_str(), "/depot/PROD/nothing"] {
            let reply = depot.request(Method::GET, uri, &headers).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri} {headers:?}");
            assert_eq!(reply.header("www-authenticate"), "Basic realm=\"depotd\"");
            assert_eq!(reply.header("etag"), "<missing>");
        }
    }
}

#[tokio::test]
async fn only_the_configured_user_may_read() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let other = basic(OTHER, PASSWORD);
    let uri = format!("/depot/{CATALOG}");
    let reply = depot
        .request(Method::GET, &uri, &[("authorization", &other)])
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.header("etag"), "<missing>");
    // User names are case-insensitive.
    let upper = basic(&READER.to_uppercase(), PASSWORD);
    let reply = depot
        .request(Method::GET, &uri, &[("authorization", &upper)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn any_user_or_anyone_may_read_when_configured() {
    let uri = format!("/depot/{CATALOG}");
    let other = basic(OTHER, PASSWORD);
    let depot = Depot::new(Access::AnyUser).await;
    let reply = depot
        .request(Method::GET, &uri, &[("authorization", &other)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = depot.request(Method::GET, &uri, &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let depot = Depot::new(Access::Anonymous).await;
    let reply = depot.request(Method::GET, &uri, &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, CATALOG_JSON);
}

#[tokio::test]
async fn if_none_match_gives_304_for_the_current_content() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let tag = etag(CATALOG_JSON);
    let weak_in_list = format!("\"old\", W/{tag}");
    for value in [tag.as_str(), weak_in_list.as_str(), "*"] {
        let reply = depot.get(CATALOG, &[("if-none-match", value)]).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{value}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), tag);
        assert_eq!(reply.header("cache-control"), "no-cache");
    }
    let head = depot
        .as_reader(Method::HEAD, CATALOG, &[("if-none-match", &tag)])
        .await;
    assert_eq!(head.status, StatusCode::NOT_MODIFIED);
    let reply = depot.get(CATALOG, &[("if-none-match", "\"old\"")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, CATALOG_JSON);
}

#[tokio::test]
async fn if_modified_since_gives_304_unless_if_none_match_is_sent() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let since = |date| [("if-modified-since", date)];
    for date in [SYNCED_DATE, "Wed, 15 Nov 2023 00:00:00 GMT"] {
        let reply = depot.get(CATALOG, &since(date)).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{date}");
        assert_eq!(reply.header("last-modified"), SYNCED_DATE);
    }
    for date in ["Tue, 14 Nov 2023 22:13:19 GMT", "not a date"] {
        let reply = depot.get(CATALOG, &since(date)).await;
        assert_eq!(reply.status, StatusCode::OK, "{date}");
    }
    let reply = depot
        .get(
            CATALOG,
            &[
                ("if-none-match", "\"old\""),
                ("if-modified-since", SYNCED_DATE),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn single_ranges_give_206_with_exact_bytes() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let all = signature();
    for (range, from, to) in [
        ("bytes=0-3", 0, 3),
        ("bytes=250-", 250, 255),
        ("bytes=-3", 253, 255),
        ("bytes=200-999", 200, 255),
        ("bytes=255-255", 255, 255),
    ] {
        let reply = depot.get(SIGNATURE, &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(reply.body, &all[from..=to], "{range}");
        assert_eq!(
            reply.header("content-range"),
            format!("bytes {from}-{to}/256")
        );
        assert_eq!(reply.header("content-length"), (to - from + 1).to_string());
        assert_eq!(reply.header("etag"), etag(&all));
    }
}

#[tokio::test]
async fn unsatisfiable_ranges_give_416() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    for range in ["bytes=256-", "bytes=300-400", "bytes=-0"] {
        let reply = depot.get(SIGNATURE, &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(reply.header("content-range"), "bytes */256");
    }
}

#[tokio::test]
async fn ranges_are_ignored_when_if_range_differs_or_unsupported() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let tag = etag(&signature());
    for if_range in [tag.as_str(), SYNCED_DATE] {
        let reply = depot
            .get(SIGNATURE, &[("range", "bytes=0-0"), ("if-range", if_range)])
            .await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{if_range}");
        assert_eq!(reply.body, [0u8]);
    }
    let weak = format!("W/{tag}");
    let ignored = [
        vec![("range", "bytes=0-0"), ("if-range", "\"old\"")],
        vec![("range", "bytes=0-0"), ("if-range", weak.as_str())],
        vec![
            ("range", "bytes=0-0"),
            ("if-range", "Tue, 14 Nov 2023 22:13:21 GMT"),
        ],
        vec![("range", "bytes=0-1,5-6")],
        vec![("range", "bytes=x-y")],
        vec![("range", "items=0-1")],
    ];
    for headers in ignored {
        let reply = depot.get(SIGNATURE, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        assert_eq!(reply.body, signature(), "{headers:?}");
        assert_eq!(reply.header("content-range"), "<missing>");
    }
}

#[tokio::test]
async fn a_new_sync_replaces_content_and_etag() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let old = etag(CATALOG_JSON);
    let new_json: &[u8] = br#"{"patches":{},"releases":[{"version":"9.0.1"}]}"#;
    depot.publish(&[(CATALOG, new_json)], SYNCED + 3600).await;

    let reply = depot.get(CATALOG, &[("if-none-match", &old)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, new_json);
    assert_eq!(reply.header("etag"), etag(new_json));
    assert_eq!(
        reply.header("last-modified"),
        "Tue, 14 Nov 2023 23:13:20 GMT"
    );
    // A download resumed against the old content starts over.
    let reply = depot
        .get(CATALOG, &[("range", "bytes=5-"), ("if-range", &old)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, new_json);
    // Files left out of the new set are gone.
    assert_eq!(
        depot.get(SIGNATURE, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn missing_content_is_an_error_not_a_panic() {
    let depot = Depot::new(Access::User(READER.to_owned())).await;
    let absent = Sha256Digest::compute(b"never stored");
    depot.apply(vec![row(CATALOG, absent, 12, SYNCED)]).await;
    let reply = depot.get(CATALOG, &[]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(body["error"].is_string(), "{body}");
}
