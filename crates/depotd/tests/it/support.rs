//! `TestApp`: the real router over a fresh data dir, called in-process.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use depotd::app::App;
use depotd::config::Config;
use depotd::data_dir::DataDir;
use serde_json::Value;
use tower::ServiceExt;

pub const ADMIN: &str = "administrator@vsphere.local";
pub const ADMIN_PASSWORD: &str = "Admin!23-test";

/// A server's parts on a temporary data dir, without a listener.
///
/// With `DEPOTD_TEST_APP_DATABASE=postgres` its metadata lives in a fresh schema of
/// the PostgreSQL database named by `DEPOTD_TEST_POSTGRES_URL`, dropped at the end
/// (`scripts/test.sh` runs this suite once that way too); otherwise in SQLite in the
/// data dir. A test that sets `database_url` itself keeps its own. With
/// `DEPOTD_TEST_APP_BLOBS=s3` its blobs live in the bucket of the S3 test server
/// (`scripts/s3.sh`) under a fresh random prefix; otherwise in the data dir.
pub struct TestApp {
    pub app: App,
    pub router: Router,
    _dir: tempfile::TempDir,
    _data_dir: DataDir,
    _schema: Option<PgSchema>,
}

/// The S3 test server from `scripts/s3.sh`: (endpoint, bucket), with the credentials in
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`. `None` (skip) when absent, a panic when
/// absent but `DEPOTD_REQUIRE_S3=1` or `DEPOTD_TEST_APP_BLOBS=s3`.
pub fn s3_test_server() -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let found = var("DEPOTD_TEST_S3_ENDPOINT").zip(var("DEPOTD_TEST_S3_BUCKET"));
    let required =
        std::env::var("DEPOTD_REQUIRE_S3").as_deref() == Ok("1") || blob_backend() == "s3";
    assert!(
        found.is_some() || !required,
        "no S3 test server: source scripts/s3.sh (DEPOTD_TEST_S3_ENDPOINT, DEPOTD_TEST_S3_BUCKET)"
    );
    if found.is_none() {
        eprintln!("skipped: no S3 test server (source scripts/s3.sh)");
    }
    found
}

/// The blob backend test apps use in this run: `fs` or `s3`.
pub fn blob_backend() -> &'static str {
    if std::env::var("DEPOTD_TEST_APP_BLOBS").as_deref() == Ok("s3") {
        "s3"
    } else {
        "fs"
    }
}

/// Points `config` at the S3 test server under a fresh prefix.
pub fn use_s3(config: &mut Config) {
    let (endpoint, bucket) = s3_test_server().expect("an S3 test server");
    config.blob_store = Some(format!(
        "s3://{bucket}/depotd-it-{}",
        uuid::Uuid::new_v4().simple()
    ));
    config.s3.endpoint = Some(endpoint);
}

/// A PostgreSQL schema of one test, dropped with it.
pub struct PgSchema {
    url: String,
    name: String,
}

/// The database backend test apps use in this run: `sqlite` or `postgres`.
pub fn database_backend() -> &'static str {
    if std::env::var("DEPOTD_TEST_APP_DATABASE").as_deref() == Ok("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

impl PgSchema {
    /// A new schema when this run puts test apps on PostgreSQL.
    async fn for_this_run() -> Option<Self> {
        if database_backend() != "postgres" {
            return None;
        }
        let url = std::env::var("DEPOTD_TEST_POSTGRES_URL")
            .expect("DEPOTD_TEST_APP_DATABASE=postgres needs DEPOTD_TEST_POSTGRES_URL");
        Some(Self::create(url).await)
    }

    /// A new schema in the database at `url`, created and migrated.
    pub async fn create(url: String) -> Self {
        let name = format!("depotd_it_{}", uuid::Uuid::new_v4().simple());
        // Creates the schema (and migrates it); the app connects again through the URL.
        depot_metadata::PostgresStore::connect_in_schema(&url, &name)
            .await
            .expect("create the test schema");
        Self { url, name }
    }

    /// A new schema in the test database, whatever this run's backend; `None` (skip)
    /// without `DEPOTD_TEST_POSTGRES_URL`, a panic without it when
    /// `DEPOTD_REQUIRE_POSTGRES=1`.
    pub async fn fresh() -> Option<Self> {
        let Ok(url) = std::env::var("DEPOTD_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("DEPOTD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DEPOTD_REQUIRE_POSTGRES=1 but DEPOTD_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: no PostgreSQL (source scripts/postgres.sh)");
            return None;
        };
        Some(Self::create(url).await)
    }

    /// The URL of the database with this schema first in the `search_path`.
    pub fn database_url(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.url, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // The test's runtime may be a blocked current-thread one: drop on a new one.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(depot_metadata::PostgresStore::drop_schema(
                    &url,
                    &name,
                    std::time::Duration::from_secs(10),
                ))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("test schema {} was not dropped: {dropped:?}", self.name);
        }
    }
}

/// A response: status, headers and body as JSON (or `Value::Null` when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
    pub raw: Vec<u8>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}, Vec::new()).await
    }

    pub async fn with(
        tweak: impl FnOnce(&mut Config),
        jobs: Vec<Arc<dyn depot_tasks::Job>>,
    ) -> Self {
        Self::with_clock(tweak, jobs, depot_model::SystemClock::shared()).await
    }

    /// An app whose services read the time from `clock`.
    pub async fn with_clock(
        tweak: impl FnOnce(&mut Config),
        jobs: Vec<Arc<dyn depot_tasks::Job>>,
        clock: Arc<dyn depot_model::Clock>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let schema = PgSchema::for_this_run().await;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: schema.as_ref().map(|s| s.database_url().into()),
            ..Config::default()
        };
        if blob_backend() == "s3" {
            use_s3(&mut config);
        }
        tweak(&mut config);
        let data_dir = DataDir::open(dir.path()).unwrap();
        let app = App::open_with_clock(config, &data_dir, jobs, clock)
            .await
            .unwrap();
        app.bootstrap_admin(Some(ADMIN_PASSWORD.to_owned()))
            .await
            .unwrap();
        let router = app.router();
        Self {
            app,
            router,
            _dir: dir,
            _data_dir: data_dir,
            _schema: schema,
        }
    }

    pub async fn call(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Reply {
            status,
            headers,
            body,
            text,
            raw: bytes.to_vec(),
        }
    }

    /// A request with optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |s| Body::from(s.to_owned()));
        self.call(b.body(body).unwrap()).await
    }

    /// A vSphere session id for `user`.
    pub async fn vsphere_session(&self, user: &str, password: &str) -> String {
        let r = self
            .send(
                Method::POST,
                "/api/session",
                &[("authorization", &basic(user, password))],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body.as_str().unwrap().to_owned()
    }

    /// An SDDC Manager / fleet-lcm access token for `user`.
    pub async fn bearer(&self, user: &str, password: &str) -> String {
        let body = serde_json::json!({"username": user, "password": password}).to_string();
        let r = self
            .send(Method::POST, "/v1/tokens", &[], Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["accessToken"].as_str().unwrap().to_owned()
    }

    /// Adds a user with `role`.
    pub async fn add_user(&self, name: &str, role: depot_model::Role, password: &str) {
        self.app
            .services
            .auth
            .add_user(name, role, depot_auth::Secret::new(password))
            .await
            .unwrap();
    }
}

pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
