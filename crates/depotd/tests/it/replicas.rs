//! Replicas: three real `depotd serve` on one PostgreSQL database ([`Cluster`]), driven
//! over HTTP round-robin: sessions and tokens, single-flight syncs, a `kill -9`
//! takeover, retries, a database restart and the sync schedule.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use depot_catalog::testkit::generate_catalog;
use depot_metadata::TaskStore;
use serde_json::{Value, json};

use crate::pg_cluster::PgCluster;
use crate::pki::Ca;
use crate::process::client;
use crate::replica_cluster::{
    Cluster, Replica, finished, get, health_becomes, open_session, session_status, token,
};
use crate::support::basic;

const PVC: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json";
const SIG: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig";
const URM: &str = "PROD/metadata/manifest/v1/vcfManifest.json";
const UPSTREAM_USER: &str = "depotuser";
const UPSTREAM_PASSWORD: &str = "depot-pw";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_and_tokens_made_on_one_replica_work_on_all() {
    let Some(cluster) = Cluster::start(3, |_| Vec::new()).await else {
        return;
    };
    let [a, b, c] = &cluster.replicas[..] else {
        unreachable!()
    };
    let session = open_session(a).await;
    // B and C validate it (and cache it).
    for r in [a, b, c] {
        assert_eq!(session_status(r, &session).await, 200);
    }
    let resp = client()
        .delete(a.url("/api/session"))
        .header("vmware-api-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    // The logout on A ends the session on B and C as soon as they hear of it: far
    // sooner than their cache's time bound (5 s).
    let start = Instant::now();
    for r in [b, c] {
        while session_status(r, &session).await != 401 {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "the session outlived its logout"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eprintln!("logout seen on B and C after {:?}", start.elapsed());

    let bearer = token(b).await;
    for r in [a, b, c] {
        let (status, _) = get(r, "/v1/system/settings/depot", &bearer).await;
        assert_eq!(status, 200);
    }
    let (status, _) = get(c, "/v1/system/settings/depot", "not-a-token").await;
    assert_eq!(status, 401);
}

/// An offline depot on loopback whose catalog requests can be held (the sync stays
/// running) and counted.
#[derive(Clone, Default)]
struct Upstream {
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    stall: Arc<AtomicBool>,
    catalog_requests: Arc<AtomicUsize>,
}

impl Upstream {
    /// Serves a signed catalog (trusted through the returned CA certificate file).
    async fn start(dir: &Path) -> (Self, String, PathBuf) {
        let ca = Ca::new("depot CA");
        let trust = dir.join("trust.pem");
        std::fs::write(&trust, ca.cert.pem()).unwrap();
        let catalog = generate_catalog(5, 4);
        let sig = ca.signer("depot signer", 2020, 2040).sign(&catalog);
        let manifest = json!({"version": 1, "sequenceNumber": 1, "releases": [
            {"product": "VCF", "version": "9.1.0.0",
             "bom": [{"name": "VCENTER", "version": "9.1.0.0.100", "publicName": "vCenter"}]}
        ]});
        let up = Self::default();
        up.files.lock().unwrap().extend([
            (PVC.to_owned(), catalog),
            (SIG.to_owned(), sig.into_bytes()),
            (URM.to_owned(), manifest.to_string().into_bytes()),
        ]);
        let app = axum::Router::new()
            .route("/{*path}", axum::routing::get(serve))
            .with_state(up.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (up, format!("http://{address}/PROD"), trust)
    }

    /// The flags that configure a replica for this depot, syncing on `schedule` (empty:
    /// never).
    fn flags(url: &str, trust: &Path, schedule: &str) -> Vec<OsString> {
        [
            "--depot-url",
            url,
            "--depot-offline",
            "true",
            "--depot-username",
            UPSTREAM_USER,
            "--depot-password",
            UPSTREAM_PASSWORD,
            "--depot-schedule",
            schedule,
            "--catalog-trust",
        ]
        .iter()
        .map(OsString::from)
        .chain([trust.as_os_str().to_owned()])
        .collect()
    }
}

async fn serve(
    State(up): State<Upstream>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(basic(UPSTREAM_USER, UPSTREAM_PASSWORD).as_str())
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if path == PVC {
        up.catalog_requests.fetch_add(1, Ordering::SeqCst);
        while up.stall.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    match up.files.lock().unwrap().get(&path) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Waits until the upstream has been asked for the catalog `n` times.
async fn catalog_asked(up: &Upstream, n: usize) {
    let start = Instant::now();
    while up.catalog_requests.load(Ordering::SeqCst) < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no sync reached the depot"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_sync_triggers_over_three_replicas_make_one_task() {
    let dir = tempfile::tempdir().unwrap();
    let (up, url, trust) = Upstream::start(dir.path()).await;
    let flags = Upstream::flags(&url, &trust, "");
    let Some(cluster) = Cluster::start(3, |_| flags.clone()).await else {
        return;
    };
    let bearer = token(&cluster.replicas[0]).await;
    // The sync stays running while the triggers arrive.
    up.stall.store(true, Ordering::SeqCst);
    let http = client();
    let mut triggers = tokio::task::JoinSet::new();
    for i in 0..300 {
        let url = cluster.replicas[i % 3].url("/fleet-lcm/v1/depot-metadata?action=sync");
        let (http, bearer) = (http.clone(), bearer.clone());
        triggers.spawn(async move {
            let resp = http.post(url).bearer_auth(bearer).send().await.unwrap();
            assert_eq!(resp.status(), 202);
            let task: Value = resp.json().await.unwrap();
            task["id"].as_str().unwrap().to_owned()
        });
    }
    let ids: std::collections::HashSet<String> = triggers.join_all().await.into_iter().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    up.stall.store(false, Ordering::SeqCst);
    let id = ids.into_iter().next().unwrap();
    let replicas: Vec<&Replica> = cluster.replicas.iter().collect();
    let task = finished(&replicas, &bearer, &id, Duration::from_mins(1)).await;
    assert_eq!(task["status"], "SUCCEEDED", "{task}");
    let (_, list) = get(
        &cluster.replicas[1],
        "/fleet-lcm/v1/tasks?name=depot_metadata_sync",
        &bearer,
    )
    .await;
    assert_eq!(list["pageMetadata"]["totalElements"], 1, "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_of_a_killed_replica_is_taken_over_when_its_lease_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (up, url, trust) = Upstream::start(dir.path()).await;
    let mut flags = Upstream::flags(&url, &trust, "");
    flags.extend(["--task-lease-seconds", "3"].map(OsString::from));
    let Some(mut cluster) = Cluster::start(3, |_| flags.clone()).await else {
        return;
    };
    let store = cluster.store().await;
    let bearer = token(&cluster.replicas[0]).await;
    up.stall.store(true, Ordering::SeqCst);
    let resp = client()
        .post(cluster.replicas[0].url("/fleet-lcm/v1/depot-metadata?action=sync"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let task: Value = resp.json().await.unwrap();
    let id = task["id"].as_str().unwrap().to_owned();
    catalog_asked(&up, 1).await;

    // Which replica runs it: the one whose running tasks hold it.
    let mut running_on = None;
    for (i, r) in cluster.replicas.iter().enumerate() {
        let owned = store
            .orphaned_tasks(&r.node_id(), chrono::Utc::now())
            .await
            .unwrap();
        if owned.iter().any(|t| t.id.to_string() == id) {
            running_on = Some(i);
        }
    }
    let victim = running_on.expect("a replica runs the sync");
    cluster.replicas[victim].kill9();
    let killed = Instant::now();
    up.stall.store(false, Ordering::SeqCst);

    let others: Vec<&Replica> = (0..3)
        .filter(|&i| i != victim)
        .map(|i| &cluster.replicas[i])
        .collect();
    let task = finished(&others, &bearer, &id, Duration::from_mins(1)).await;
    let took = killed.elapsed();
    // Resumed by another replica (the sync is idempotent), after the lease ended.
    assert_eq!(task["status"], "SUCCEEDED", "{task}");
    assert!(up.catalog_requests.load(Ordering::SeqCst) >= 2);
    assert!(
        took >= Duration::from_secs(1),
        "taken over before the lease ended"
    );
    eprintln!("taken over and finished {took:?} after the kill");
    let stored = store.get_task(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.attempts, 2, "one run per replica");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_on_one_replica_reopens_the_task_on_the_others_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (up, url, trust) = Upstream::start(dir.path()).await;
    let flags = Upstream::flags(&url, &trust, "");
    let Some(cluster) = Cluster::start(3, |_| flags.clone()).await else {
        return;
    };
    let [a, b, c] = &cluster.replicas[..] else {
        unreachable!()
    };
    let bearer = token(a).await;
    // The depot lost its catalog: the sync fails.
    let catalog = up.files.lock().unwrap().remove(PVC).unwrap();
    let resp = client()
        .post(a.url("/fleet-lcm/v1/depot-metadata?action=sync"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished(&[a, b, c], &bearer, &id, Duration::from_mins(1)).await;
    assert_eq!(task["status"], "FAILED", "{task}");
    // B and C hold it as finished (their caches of finished tasks).
    let path = format!("/fleet-lcm/v1/tasks/{id}");
    for r in [b, c] {
        assert_eq!(get(r, &path, &bearer).await.1["status"], "FAILED");
    }

    // The catalog is back but held; a retry on A reopens the task.
    up.stall.store(true, Ordering::SeqCst);
    up.files.lock().unwrap().insert(PVC.to_owned(), catalog);
    let resp = client()
        .post(a.url(&format!("/fleet-lcm/v1/tasks/{id}?action=retry")))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let start = Instant::now();
    for r in [b, c] {
        while get(r, &path, &bearer).await.1["status"] == "FAILED" {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "a replica served the finished task after its retry"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eprintln!("retry seen on B and C after {:?}", start.elapsed());
    up.stall.store(false, Ordering::SeqCst);
    let task = finished(&[c, b], &bearer, &id, Duration::from_mins(1)).await;
    assert_eq!(task["status"], "SUCCEEDED", "{task}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_reconnect_after_a_database_restart() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let cluster = Cluster::start_on(pg.url(), 2, |_| Vec::new()).await;
    let [a, b] = &cluster.replicas[..] else {
        unreachable!()
    };
    let session = open_session(a).await;
    assert_eq!(session_status(b, &session).await, 200);

    pg.stop();
    health_becomes(a, 503, Duration::from_secs(30)).await;
    pg.start_again();
    for r in [a, b] {
        health_becomes(r, 200, Duration::from_secs(30)).await;
    }
    // The data is there, and announcements flow again: a logout on B ends the session
    // A had cached.
    assert_eq!(session_status(a, &session).await, 200);
    assert_eq!(session_status(b, &session).await, 200);
    let resp = client()
        .delete(b.url("/api/session"))
        .header("vmware-api-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let start = Instant::now();
    while session_status(a, &session).await != 401 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the session outlived its logout after the restart"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let bearer = token(a).await;
    let (status, _) = get(b, "/v1/system/settings/depot", &bearer).await;
    assert_eq!(status, 200);
}

/// The slots `r` says it fired, from its JSON log.
fn fired_slots(r: &Replica) -> Vec<String> {
    r.stderr()
        .lines()
        .chain(r.stdout().lines())
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["message"] == "scheduled depot sync started")
        .map(|v| v["slot"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_cron_slot_fires_once_across_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, trust) = Upstream::start(dir.path()).await;
    // A slot every two seconds (six fields, seconds first).
    let mut flags = Upstream::flags(&url, &trust, "*/2 * * * * *");
    flags.extend(["--log-format", "json"].map(OsString::from));
    let Some(cluster) = Cluster::start(3, |_| flags.clone()).await else {
        return;
    };
    tokio::time::sleep(Duration::from_secs(7)).await;
    let fired: Vec<String> = cluster.replicas.iter().flat_map(fired_slots).collect();
    let distinct: std::collections::HashSet<&String> = fired.iter().collect();
    eprintln!("slots fired: {fired:?}");
    assert!(
        distinct.len() >= 2,
        "the schedule fired: {fired:?}; a log: {}",
        cluster.replicas[0].stderr()
    );
    assert_eq!(distinct.len(), fired.len(), "a slot fired twice: {fired:?}");
}
