//! A replica cluster for tests: several real `depotd serve` processes on one PostgreSQL
//! database (each its own data dir, all the same `--secret-key-file`), and the HTTP
//! calls the replica tests make of them.
//!
//! [`Cluster::start`] runs when `DEPOTD_TEST_POSTGRES_URL` names a database (each
//! cluster lives in a fresh schema of it); skipped otherwise, unless
//! `DEPOTD_REQUIRE_POSTGRES=1`. Each replica can be given flags of its own, e.g. a
//! shared blob store.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use depot_metadata::PostgresStore;
use serde_json::{Value, json};

use crate::pg_cluster;
use crate::process::{BIN, client, free_port};
use crate::support::{ADMIN, PgSchema, basic};

/// The administrator's password on every replica.
pub const PASSWORD: &str = "Replica-test-1";

/// One `depotd serve`, killed when dropped.
pub struct Replica {
    child: Child,
    port: u16,
    data_dir: PathBuf,
    logs: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    fn spawn(data_dir: &Path, database_url: &str, key: &Path, extra: &[OsString]) -> Self {
        let port = free_port();
        std::fs::create_dir_all(data_dir).unwrap();
        let logs = data_dir.with_extension("log");
        let mut c = Command::new(BIN);
        c.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--plain-http")
            .arg("--database-url")
            .arg(database_url)
            .arg("--secret-key-file")
            .arg(key)
            .args(extra)
            .env_remove("DEPOTD_LISTEN")
            .env_remove("DEPOTD_DATABASE_URL")
            .env("DEPOTD_ADMIN_PASSWORD", PASSWORD)
            .env("DEPOTD_SHUTDOWN_GRACE_SECONDS", "5")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.with_extension("out")).unwrap())
            .stderr(std::fs::File::create(logs.with_extension("err")).unwrap());
        Self {
            child: c.spawn().unwrap(),
            port,
            data_dir: data_dir.to_path_buf(),
            logs,
        }
    }

    /// `path` on this replica.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the process wrote to stderr (its log) so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.with_extension("err")).unwrap_or_default()
    }

    /// What the process wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.logs.with_extension("out")).unwrap_or_default()
    }

    /// This replica's node id (the owner of the tasks it runs).
    pub fn node_id(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("node-id"))
            .unwrap()
            .trim()
            .to_owned()
    }

    async fn wait_healthy(&mut self) {
        let (url, logs) = (self.url("/health"), self.logs.with_extension("err"));
        crate::process::wait_healthy(&mut self.child, &url, &logs).await;
    }

    /// Kills the process with SIGKILL: no drain, no checkpoint, leases left behind.
    pub fn kill9(&mut self) {
        let ok = Command::new("kill")
            .arg("-KILL")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
        let _ = self.child.wait();
    }
}

/// Replicas on one fresh schema.
pub struct Cluster {
    pub replicas: Vec<Replica>,
    schema: PgSchema,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts `n` replicas, replica `i` with the flags `extra(i)` besides its data dir,
    /// listener, database and the shared secret key; waits until all are healthy.
    /// `None` when PostgreSQL tests are skipped.
    pub async fn start(n: usize, extra: impl Fn(usize) -> Vec<OsString>) -> Option<Self> {
        let url = pg_cluster::shared_url()?;
        Some(Self::start_on(url, n, extra).await)
    }

    /// Like [`start`](Self::start), on the database at `url`.
    pub async fn start_on(url: String, n: usize, extra: impl Fn(usize) -> Vec<OsString>) -> Self {
        let schema = PgSchema::create(url).await;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("secret.key");
        std::fs::write(&key, format!("{}\n", "3c".repeat(32))).unwrap();
        let database_url = schema.database_url();
        let mut replicas: Vec<Replica> = (0..n)
            .map(|i| {
                let data = dir.path().join(format!("replica-{i}"));
                Replica::spawn(&data, &database_url, &key, &extra(i))
            })
            .collect();
        for r in &mut replicas {
            r.wait_healthy().await;
        }
        Self {
            replicas,
            schema,
            _dir: dir,
        }
    }

    /// A store on the cluster's database, to look behind the APIs.
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect(&self.schema.database_url())
            .await
            .unwrap()
    }
}

/// A `/api` session on `r`.
pub async fn open_session(r: &Replica) -> String {
    let resp = client()
        .post(r.url("/api/session"))
        .header("authorization", basic(ADMIN, PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.json::<Value>()
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The status of `GET /api/session` with `session` on `r`.
pub async fn session_status(r: &Replica, session: &str) -> u16 {
    client()
        .get(r.url("/api/session"))
        .header("vmware-api-session-id", session)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// An SDDC Manager access token minted by `r`.
pub async fn token(r: &Replica) -> String {
    let body = json!({"username": ADMIN, "password": PASSWORD});
    let resp = client()
        .post(r.url("/v1/tokens"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["accessToken"].as_str().unwrap().to_owned()
}

/// `GET path` on `r` with a bearer token: status and JSON body.
pub async fn get(r: &Replica, path: &str, bearer: &str) -> (u16, Value) {
    let resp = client()
        .get(r.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls task `id` through the replicas in turn until it has finished.
pub async fn finished(replicas: &[&Replica], bearer: &str, id: &str, limit: Duration) -> Value {
    let start = Instant::now();
    for n in 0.. {
        let r = replicas[n % replicas.len()];
        let (status, task) = get(r, &format!("/fleet-lcm/v1/tasks/{id}"), bearer).await;
        assert_eq!(status, 200, "{task}");
        if !matches!(task["status"].as_str(), Some("PENDING" | "RUNNING")) {
            return task;
        }
        assert!(start.elapsed() < limit, "task still running: {task}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!()
}

/// Waits until `r` answers `/health` with `want`.
pub async fn health_becomes(r: &Replica, want: u16, limit: Duration) {
    let start = Instant::now();
    loop {
        let status = client()
            .get(r.url("/health"))
            .send()
            .await
            .map(|resp| resp.status().as_u16());
        if status.as_ref().is_ok_and(|s| *s == want) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "health is {status:?}, not {want}: {}",
            r.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
