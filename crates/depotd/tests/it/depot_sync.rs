//! Depot metadata sync through the APIs: SDDC Manager depot settings, the fleet-lcm
//! trigger, sync info, release versions, the synced catalog and the downstream depot —
//! against a real upstream depot served on loopback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use depot_catalog::testkit::generate_catalog;
use depot_model::Role;
use serde_json::{Value, json};

use crate::pki::{Ca, Signer};
use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp, basic};

pub(crate) const PVC: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json";
const SIG: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig";
pub(crate) const URM: &str = "PROD/metadata/manifest/v1/vcfManifest.json";
const UPSTREAM_USER: &str = "depotuser";
pub(crate) const UPSTREAM_PASSWORD: &str = "depot-pw";

type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// An offline depot on loopback: Basic auth, files from a map.
async fn upstream(files: Files) -> String {
    async fn serve(
        State(files): State<Files>,
        Path(path): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(basic(UPSTREAM_USER, UPSTREAM_PASSWORD).as_str())
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        match files.lock().unwrap().get(&path) {
            Some(bytes) => bytes.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(serve))
        .with_state(files);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/PROD")
}

pub(crate) fn manifest(versions: &[&str]) -> Vec<u8> {
    let releases: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({"product": "VCF", "version": v,
                   "bom": [{"name": "VCENTER", "version": format!("{v}.100"), "publicName": "vCenter"}]})
        })
        .collect();
    json!({"version": 1, "sequenceNumber": 1, "releases": releases})
        .to_string()
        .into_bytes()
}

pub(crate) struct Fixture {
    pub(crate) t: TestApp,
    bearer: String,
    files: Files,
    url: String,
    signer: Signer,
    _trust: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// A fixture whose app's configuration `tweak` adjusts.
    pub(crate) async fn with(tweak: impl FnOnce(&mut depotd::config::Config)) -> Self {
        let trust_dir = tempfile::tempdir().unwrap();
        let ca = Ca::new("depot CA");
        let trust = trust_dir.path().join("trust.pem");
        std::fs::write(&trust, ca.cert.pem()).unwrap();
        let t = TestApp::with(
            move |c| {
                c.catalog.trust = vec![trust];
                tweak(c);
            },
            Vec::new(),
        )
        .await;
        let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
        let files: Files = Arc::default();
        let url = upstream(Arc::clone(&files)).await;
        let f = Self {
            t,
            bearer,
            files,
            url,
            signer: ca.signer("depot signer", 2020, 2040),
            _trust: trust_dir,
        };
        f.publish(5, &["9.1.0.0"]);
        f
    }

    /// Puts a signed catalog with `sequence` and a manifest of `releases` upstream.
    fn publish(&self, sequence: u64, releases: &[&str]) {
        self.publish_catalog(generate_catalog(sequence, 4), releases);
    }

    /// Puts `catalog`, signed, and a manifest of `releases` upstream.
    pub(crate) fn publish_catalog(&self, catalog: Vec<u8>, releases: &[&str]) {
        let sig = self.signer.sign(&catalog);
        let mut files = self.files.lock().unwrap();
        files.insert(PVC.to_owned(), catalog);
        files.insert(SIG.to_owned(), sig.into_bytes());
        files.insert(URM.to_owned(), manifest(releases));
    }

    pub(crate) async fn call(&self, method: Method, uri: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string);
        self.t
            .send(
                method,
                uri,
                &[("authorization", &self.bearer)],
                body.as_deref(),
            )
            .await
    }

    pub(crate) async fn configure(&self, password: &str) -> Reply {
        let settings = json!({
            "offlineAccount": {"username": UPSTREAM_USER, "password": password},
            "depotConfiguration": {"isOfflineDepot": true, "url": self.url},
        });
        self.call(Method::PUT, "/v1/system/settings/depot", Some(&settings))
            .await
    }

    /// Triggers a sync, runs it and answers the finished task.
    pub(crate) async fn sync(&self) -> Value {
        let r = self
            .call(
                Method::POST,
                "/fleet-lcm/v1/depot-metadata?action=sync",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        self.finish(r.body["id"].as_str().unwrap()).await
    }

    pub(crate) async fn finish(&self, id: &str) -> Value {
        self.t.app.services.tasks.run_pending().await.unwrap();
        let r = self
            .call(Method::GET, &format!("/fleet-lcm/v1/tasks/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    /// Retries the failed task `id` (fleet-lcm `?action=retry`) and runs it to its end.
    pub(crate) async fn retry(&self, id: &str) -> Value {
        let r = self
            .call(
                Method::POST,
                &format!("/fleet-lcm/v1/tasks/{id}?action=retry"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        self.finish(id).await
    }

    pub(crate) async fn catalog_sequence(&self) -> Value {
        let r = self
            .call(Method::GET, "/v1/product-version-catalogs", None)
            .await;
        r.body["sequenceNumber"].clone()
    }
}

#[tokio::test]
async fn settings_sync_release_versions_and_downstream() {
    let f = Fixture::new().await;
    let empty = f.call(Method::GET, "/v1/system/settings/depot", None).await;
    assert_eq!(
        (empty.status, empty.body.clone()),
        (StatusCode::OK, json!({}))
    );
    // No depot yet: a sync is refused in fleet-lcm's dialect.
    let r = f
        .call(
            Method::POST,
            "/fleet-lcm/v1/depot-metadata?action=sync",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["code"], "DEPOT_NOT_CONFIGURED");

    let r = f.configure(UPSTREAM_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["offlineAccount"]["status"],
        "DEPOT_CONNECTION_SUCCESSFUL"
    );
    assert!(!r.text.contains(UPSTREAM_PASSWORD), "{}", r.text);
    let shown = f.call(Method::GET, "/v1/system/settings/depot", None).await;
    assert_eq!(shown.body["offlineAccount"]["username"], UPSTREAM_USER);
    assert_eq!(shown.body["depotConfiguration"]["isOfflineDepot"], true);
    assert!(!shown.text.contains(UPSTREAM_PASSWORD));
    let machine = f
        .call(
            Method::GET,
            "/v1/system/settings/depot/machine-details",
            None,
        )
        .await;
    assert_eq!(machine.body["machineId"].as_str().unwrap().len(), 36);

    let task = f.sync().await;
    assert_eq!(task["status"], "SUCCEEDED", "{task}");
    assert_eq!(task["name"], "depot_metadata_sync");
    assert_eq!(task["createdBy"], ADMIN);
    assert_eq!(task["retriable"], false);
    let stages: Vec<&str> = task["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "connect",
            "download-pvc",
            "verify-pvc",
            "download-urm",
            "validate-urm",
            "apply"
        ]
    );
    assert_eq!(task["taskSummary"]["totalSteps"], 6);
    assert_eq!(f.catalog_sequence().await, 5);
    let releases = f
        .call(
            Method::GET,
            "/fleet-lcm/v1/release-versions?pageSize=5",
            None,
        )
        .await;
    assert_eq!(releases.status, StatusCode::OK, "{}", releases.text);
    assert_eq!(releases.body["elements"][0]["version"], "9.1.0.0");
    assert_eq!(
        releases.body["elements"][0]["components"][0],
        json!({"type": "VCENTER", "publicName": "vCenter", "versions": ["9.1.0.0.100"]})
    );
    assert_eq!(releases.body["pageMetadata"]["totalElements"], 1);
    let info = f
        .call(
            Method::GET,
            "/v1/system/settings/depot/depot-sync-info",
            None,
        )
        .await;
    assert_eq!(info.body["syncStatus"], "SYNC_SUCCEEDED", "{}", info.text);
    assert!(info.body["lastSyncCompletionTimestamp"].is_string());

    // The downstream depot serves the same bytes.
    let r =
        f.t.send(
            Method::GET,
            &format!("/depot/{URM}"),
            &[("authorization", &basic(ADMIN, ADMIN_PASSWORD))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text.as_bytes(), manifest(&["9.1.0.0"]));
    let r =
        f.t.send(Method::GET, &format!("/depot/{SIG}"), &[], None)
            .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn settings_are_replaced_and_deleted() {
    let f = Fixture::new().await;
    f.configure(UPSTREAM_PASSWORD).await;
    // A wrong password is stored with its status; the account can be removed.
    let r = f.configure("wrong").await;
    assert_eq!(
        r.body["offlineAccount"]["status"],
        "DEPOT_INVALID_CREDENTIAL"
    );
    let r = f
        .call(
            Method::DELETE,
            "/v1/system/settings/depot?depotType=OFFLINE",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let shown = f.call(Method::GET, "/v1/system/settings/depot", None).await;
    assert!(shown.body.get("offlineAccount").is_none(), "{}", shown.text);
    let r = f
        .call(
            Method::DELETE,
            "/v1/system/settings/depot?depotType=NEARLINE",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = f
        .call(Method::DELETE, "/v1/system/settings/depot", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        f.call(Method::GET, "/v1/system/settings/depot", None)
            .await
            .body,
        json!({})
    );
}

#[tokio::test]
async fn bad_settings_are_refused_and_nothing_is_stored() {
    let f = Fixture::new().await;
    let f = &f;
    let put = |settings: Value| async move {
        f.call(Method::PUT, "/v1/system/settings/depot", Some(&settings))
            .await
    };
    let r = put(json!({"offlineAccount": {"username": "u", "password": "p"},
                       "depotConfiguration": {"isOfflineDepot": true, "url": "ftp://depot.example.com/"}}))
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errorCode"], "DEPOT_BAD_URL");
    let r = put(json!({"offlineAccount": {"username": "u", "password": "p"},
                       "depotConfiguration": {"isOfflineDepot": true, "url": "https://d/",
                                              "trustedCertificates": ["not a certificate"]}}))
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("trustedCertificates[0]"), "{}", r.text);
    let r = put(json!({"depotConfiguration": {"isOfflineDepot": true}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = put(json!({"depotConfiguration": "yes"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        f.call(Method::GET, "/v1/system/settings/depot", None)
            .await
            .body,
        json!({})
    );
    // An unreachable depot is stored, with a status that says so.
    let r = put(json!({"offlineAccount": {"username": "u", "password": "p"},
                       "depotConfiguration": {"isOfflineDepot": true, "url": "http://127.0.0.1:9/"}}))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["offlineAccount"]["status"], "DEPOT_NOT_AVAILABLE");

    // Read-only users cannot change settings or sync; anonymous callers get 401.
    f.t.add_user("reader@local", Role::ReadOnly, "Reader!23-x")
        .await;
    let reader = format!("Bearer {}", f.t.bearer("reader@local", "Reader!23-x").await);
    for (method, uri) in [
        (Method::PUT, "/v1/system/settings/depot"),
        (Method::POST, "/fleet-lcm/v1/depot-metadata?action=sync"),
        (Method::PATCH, "/v1/system/settings/depot/depot-sync-info"),
    ] {
        let r =
            f.t.send(
                method.clone(),
                uri,
                &[("authorization", &reader)],
                Some("{}"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            r.text
        );
        let r = f.t.send(method.clone(), uri, &[], Some("{}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn second_trigger_joins_the_pending_sync() {
    let f = Fixture::new().await;
    f.configure(UPSTREAM_PASSWORD).await;
    let first = f
        .call(
            Method::POST,
            "/fleet-lcm/v1/depot-metadata?action=sync",
            None,
        )
        .await;
    let second = f
        .call(
            Method::POST,
            "/fleet-lcm/v1/depot-metadata?action=sync",
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::ACCEPTED);
    assert_eq!(first.body["id"], second.body["id"]);
    let patched = f
        .call(
            Method::PATCH,
            "/v1/system/settings/depot/depot-sync-info",
            None,
        )
        .await;
    assert_eq!(patched.status, StatusCode::ACCEPTED, "{}", patched.text);
    assert_eq!(patched.body["syncStatus"], "SYNC_IN_PROGRESS");
    let done = f.finish(first.body["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let list = f
        .call(
            Method::GET,
            "/fleet-lcm/v1/tasks?name=depot_metadata_sync",
            None,
        )
        .await;
    assert_eq!(
        list.body["pageMetadata"]["totalElements"], 1,
        "{}",
        list.text
    );
}

#[tokio::test]
async fn failed_sync_keeps_the_previous_metadata_and_retry_resumes() {
    let f = Fixture::new().await;
    f.configure(UPSTREAM_PASSWORD).await;
    assert_eq!(f.sync().await["status"], "SUCCEEDED");
    // A newer catalog, but its signature is missing.
    f.publish(6, &["9.1.0.0", "9.2.0.0"]);
    let sig = f.files.lock().unwrap().remove(SIG).unwrap();
    let failed = f.sync().await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["retriable"], true);
    let stage = |task: &Value, id: &str| {
        task["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(stage(&failed, "download-pvc"), "FAILED");
    assert_eq!(f.catalog_sequence().await, 5);
    let releases = f
        .call(Method::GET, "/fleet-lcm/v1/release-versions", None)
        .await;
    assert_eq!(releases.body["pageMetadata"]["totalElements"], 1);
    let info = f
        .call(
            Method::GET,
            "/v1/system/settings/depot/depot-sync-info",
            None,
        )
        .await;
    assert_eq!(info.body["syncStatus"], "SYNC_FAILED");
    assert!(
        info.body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("productVersionCatalog.sig"),
        "{}",
        info.text
    );
    // The depot is fixed: retry resumes at the failed stage and applies both files.
    f.files.lock().unwrap().insert(SIG.to_owned(), sig);
    let id = failed["id"].as_str().unwrap();
    let done = f.retry(id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(stage(&done, "connect"), "SUCCEEDED");
    assert_eq!(f.catalog_sequence().await, 6);
    let releases = f
        .call(Method::GET, "/fleet-lcm/v1/release-versions", None)
        .await;
    assert_eq!(releases.body["elements"][0]["version"], "9.2.0.0");
}

#[tokio::test]
async fn depot_settings_from_the_configuration_are_stored_at_start() {
    let files: Files = Arc::default();
    let url = upstream(Arc::clone(&files)).await;
    let configured = url.clone();
    let t = TestApp::with(
        move |c| {
            c.depot.url = Some(configured);
            c.depot.offline = true;
            c.depot.username = Some(UPSTREAM_USER.to_owned());
            c.depot.password = Some(UPSTREAM_PASSWORD.into());
            c.depot.schedule = String::new();
        },
        Vec::new(),
    )
    .await;
    t.app.start().await.unwrap();
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let r = t
        .send(
            Method::GET,
            "/v1/system/settings/depot",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    t.app.stop();
    t.app
        .services
        .tasks
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    assert_eq!(
        r.body["offlineAccount"]["username"], UPSTREAM_USER,
        "{}",
        r.text
    );
    assert_eq!(r.body["depotConfiguration"]["url"], url.as_str());
    assert_eq!(r.body["depotConfiguration"]["isOfflineDepot"], true);
    assert!(!r.text.contains(UPSTREAM_PASSWORD));
}

#[tokio::test]
async fn a_database_moved_to_a_new_data_dir_needs_its_secret_key_file() {
    // One database, used by one server after the other from different data dirs (a
    // restore on a new host, or replicas): with the same key file the sealed depot
    // password opens; with a key of its own it does not, and the sync says so.
    let shared = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", shared.path().join("depotd.db").display());
    let key = shared.path().join("secret.key");
    std::fs::write(&key, format!("{}\n", "5a".repeat(32))).unwrap();
    let ca = Ca::new("depot CA");
    let trust = shared.path().join("trust.pem");
    std::fs::write(&trust, ca.cert.pem()).unwrap();
    let files: Files = Arc::default();
    let catalog = generate_catalog(5, 4);
    let sig = ca.signer("depot signer", 2020, 2040).sign(&catalog);
    files.lock().unwrap().extend([
        (PVC.to_owned(), catalog),
        (SIG.to_owned(), sig.into_bytes()),
        (URM.to_owned(), manifest(&["9.1.0.0"])),
    ]);
    let url = upstream(Arc::clone(&files)).await;

    let server = |key: Option<std::path::PathBuf>| {
        let (database, trust) = (database.clone(), trust.clone());
        TestApp::with(
            move |c| {
                c.database_url = Some(database.into());
                c.catalog.trust = vec![trust];
                c.secret_key_file = key;
            },
            Vec::new(),
        )
    };
    let first = server(Some(key.clone())).await;
    let bearer = format!("Bearer {}", first.bearer(ADMIN, ADMIN_PASSWORD).await);
    let settings = json!({
        "offlineAccount": {"username": UPSTREAM_USER, "password": UPSTREAM_PASSWORD},
        "depotConfiguration": {"isOfflineDepot": true, "url": url},
    })
    .to_string();
    let r = first
        .send(
            Method::PUT,
            "/v1/system/settings/depot",
            &[("authorization", &bearer)],
            Some(&settings),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    drop(first);

    let same_key = server(Some(key.clone())).await;
    let done = sync_through(&same_key).await;
    assert_eq!(done.body["status"], "SUCCEEDED", "{}", done.text);
    drop(same_key);

    let own_key = server(None).await;
    let failed = sync_through(&own_key).await;
    assert_eq!(failed.body["status"], "FAILED", "{}", failed.text);
    assert!(
        failed.text.contains("DEPOT_SETTINGS_UNREADABLE"),
        "{}",
        failed.text
    );
    assert!(!failed.text.contains(UPSTREAM_PASSWORD));
}

/// Triggers a sync through `t`, runs it and answers the finished task.
async fn sync_through(t: &TestApp) -> Reply {
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let auth = [("authorization", bearer.as_str())];
    let r = t
        .send(
            Method::POST,
            "/fleet-lcm/v1/depot-metadata?action=sync",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    t.app.services.tasks.run_pending().await.unwrap();
    let uri = format!("/fleet-lcm/v1/tasks/{}", r.body["id"].as_str().unwrap());
    t.send(Method::GET, &uri, &auth, None).await
}
