//! The real binary: start-up, TLS, locking, signals, restarts and bad data dirs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use depot_tasks::{EngineSettings, TaskEngine};
use depotd::jobs::BlobGc;

pub const BIN: &str = env!("CARGO_BIN_EXE_depotd");
pub(crate) const PASSWORD: &str = "Process-test-1";

/// A running `depotd serve`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    logs: PathBuf,
    pub(crate) scheme: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn command(data_dir: &Path, logs: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DEPOTD_LISTEN")
        .env_remove("DEPOTD_DATABASE_URL")
        .env("DEPOTD_ADMIN_PASSWORD", PASSWORD)
        .env("DEPOTD_SHUTDOWN_GRACE_SECONDS", "5")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(logs.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(logs.with_extension("err")).unwrap());
    c
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

impl Server {
    pub(crate) fn start(data_dir: &Path, tweak: impl FnOnce(&mut Command)) -> Self {
        let port = free_port();
        let logs = data_dir.with_extension(format!("log-{port}"));
        let mut c = command(data_dir, &logs);
        c.arg("--listen").arg(format!("127.0.0.1:{port}"));
        tweak(&mut c);
        Server {
            child: c.spawn().unwrap(),
            port,
            logs,
            scheme: "https",
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.with_extension("err")).unwrap_or_default()
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.logs.with_extension("out")).unwrap_or_default()
    }

    pub(crate) async fn wait_healthy(&mut self) {
        let (url, logs) = (self.url("/health"), self.logs.with_extension("err"));
        wait_healthy(&mut self.child, &url, &logs).await;
    }

    pub(crate) async fn session(&self, password: &str) -> reqwest::Response {
        client()
            .post(self.url("/api/session"))
            .basic_auth("administrator@vsphere.local", Some(password))
            .send()
            .await
            .unwrap()
    }

    /// Kills the process with SIGKILL (no drain, nothing cleaned up) and reaps it.
    pub(crate) fn kill9(&mut self) {
        let ok = Command::new("kill")
            .arg("-KILL")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
        let _ = self.child.wait();
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
        wait_exit(&mut self.child, Duration::from_secs(30))
    }
}

/// Waits up to a minute for `health_url` to answer 200, failing with the process's
/// standard error (`stderr_file`) when it exits first or never does.
pub(crate) async fn wait_healthy(child: &mut Child, health_url: &str, stderr_file: &Path) {
    let stderr = || std::fs::read_to_string(stderr_file).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("depotd exited early ({status}): {}", stderr());
        }
        if let Ok(r) = client().get(health_url).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "depotd did not become healthy: {}",
            stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `depotd serve` expecting it to fail at start; returns its stderr. Logs go to
/// `log_dir`, outside the data dir's file system.
fn start_fails(data_dir: &Path, log_dir: &Path) -> String {
    let logs = log_dir.join("fail-log");
    let mut c = command(data_dir, &logs);
    c.arg("--listen").arg(format!("127.0.0.1:{}", free_port()));
    let mut child = c.spawn().unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(!status.success(), "depotd started on a bad data dir");
    std::fs::read_to_string(logs.with_extension("err")).unwrap()
}

#[tokio::test]
async fn first_start_serves_https_prints_a_password_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = Server::start(&data, |c| {
        c.env_remove("DEPOTD_ADMIN_PASSWORD");
    });
    s.wait_healthy().await;
    let out = s.stdout();
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Generated password for administrator@vsphere.local: "))
        .unwrap_or_else(|| panic!("no generated password in {out}"))
        .trim()
        .to_owned();
    assert_eq!(s.session(&password).await.status(), 201);
    assert_eq!(s.session("wrong-password").await.status(), 401);
    assert!(s.stderr().contains("sha256_thumbprint"), "{}", s.stderr());
    assert!(data.join("tls/server.crt").is_file());
    assert_private(&data);
    let status = s.terminate();
    assert!(status.success(), "{status}: {}", s.stderr());
    assert!(s.stderr().contains("depotd stopped"), "{}", s.stderr());

    // A restart keeps the password and generates none.
    let mut again = Server::start(&data, |c| {
        c.env_remove("DEPOTD_ADMIN_PASSWORD");
    });
    again.wait_healthy().await;
    assert!(!again.stdout().contains("Generated password"));
    assert_eq!(again.session(&password).await.status(), 201);
}

/// The database (with its `-wal`/`-shm`), keys and every directory of a running
/// server's data dir are for the owner only.
#[cfg(unix)]
fn assert_private(data: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for file in [
        "depotd.db",
        "depotd.db-wal",
        "depotd.db-shm",
        "secrets.key",
        "tls/server.key",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let mut dirs = vec![data.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            }
        }
    }
}

#[cfg(not(unix))]
fn assert_private(_: &Path) {}

/// A data dir left readable by others (an older depotd, a restore, a careless copy)
/// is tightened at start, and the server says so.
#[cfg(unix)]
#[tokio::test]
async fn a_data_dir_readable_by_others_is_tightened_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = Server::start(&data, |_| {});
    s.wait_healthy().await;
    assert!(s.terminate().success());
    let open =
        |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    open(&data, 0o755);
    open(&data.join("depotd.db"), 0o644);
    open(&data.join("tls"), 0o755);

    let mut again = Server::start(&data, |_| {});
    again.wait_healthy().await;
    assert_private(&data);
    assert!(
        again.stderr().contains("group and other access removed"),
        "{}",
        again.stderr()
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = Server::start(&data, |_| {});
    s.wait_healthy().await;
    let err = start_fails(&data, dir.path());
    assert!(err.contains("in use by another depotd"), "{err}");
    assert_eq!(
        s.session(PASSWORD).await.status(),
        201,
        "the first server is unharmed"
    );
}

#[tokio::test]
async fn interrupted_tasks_resume_and_tasks_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The database as a kill -9 in the middle of a task leaves it: RUNNING, owned by
    // this node, with a live lease.
    let (running, pending) = {
        let dd = depotd::data_dir::DataDir::open(&data).unwrap();
        let url = format!("sqlite://{}", data.join("depotd.db").display());
        let store = depot_metadata::connect(&url).await.unwrap();
        let blobs: std::sync::Arc<dyn depot_blobs::BlobStore> = std::sync::Arc::new(
            depot_blobs::FsBlobStore::open(data.join("blobs"))
                .await
                .unwrap(),
        );
        let engine = TaskEngine::new(
            store.clone(),
            EngineSettings {
                node_id: dd.node_id().to_owned(),
                ..EngineSettings::default()
            },
            vec![std::sync::Arc::new(BlobGc::new(store.clone(), blobs))],
        );
        let first = engine
            .submit(BlobGc::task("administrator@vsphere.local"))
            .await
            .unwrap();
        let now = depot_model::now();
        let claimed = store
            .claim_next(
                &["blob_gc".to_owned()],
                dd.node_id(),
                now,
                now + chrono::TimeDelta::minutes(5),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.id, first.id);
        let mut second = BlobGc::task("administrator@vsphere.local");
        second.concurrency_key = None;
        let second = engine.submit(second).await.unwrap();
        (first.id, second.id)
    };

    let mut s = Server::start(&data, |_| {});
    s.wait_healthy().await;
    let c = client();
    let get = |id: depot_model::TaskId| {
        let c = c.clone();
        let url = s.url(&format!("/fleet-lcm/v1/tasks/{id}"));
        async move {
            let r = c
                .get(url)
                .basic_auth("administrator@vsphere.local", Some(PASSWORD))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (get(running).await, get(pending).await);
        if a["status"] == "SUCCEEDED" && b["status"] == "SUCCEEDED" {
            let texts: Vec<String> = a["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["message"]["defaultMessage"].as_str().unwrap().to_owned())
                .collect();
            assert!(
                texts.iter().any(|t| t.contains("interrupted by a restart")),
                "{texts:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "tasks did not finish: {a} {b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // kill -9, restart: everything is still there.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let mut s = Server::start(&data, |_| {});
    s.wait_healthy().await;
    let r = client()
        .get(s.url("/fleet-lcm/v1/tasks?includeSystemTasks=true&status=SUCCEEDED"))
        .basic_auth("administrator@vsphere.local", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["pageMetadata"]["totalElements"], 2, "{body}");
}

#[tokio::test]
async fn env_flags_and_file_take_precedence_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (env_port, file_port) = (free_port(), free_port());
    let file = dir.path().join("depotd.toml");
    std::fs::write(
        &file,
        format!("listen = \"127.0.0.1:{file_port}\"\nplain_http = true\n"),
    )
    .unwrap();
    // env beats file; plain_http comes from the file.
    let logs = dir.path().join("env");
    let mut c = command(&data, &logs);
    c.arg("--config")
        .arg(&file)
        .env("DEPOTD_LISTEN", format!("127.0.0.1:{env_port}"));
    let mut s = Server {
        child: c.spawn().unwrap(),
        port: env_port,
        logs,
        scheme: "http",
    };
    s.wait_healthy().await;
    assert_eq!(s.terminate().code(), Some(0));
    // A flag beats env.
    let mut s = Server::start(&data, |c| {
        c.arg("--config")
            .arg(&file)
            .env("DEPOTD_LISTEN", format!("127.0.0.1:{env_port}"));
    });
    s.scheme = "http";
    s.wait_healthy().await;
}

/// Mounts a tmpfs (root only); unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Tmpfs(path.to_path_buf()))
        } else {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_data_dir_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("ro");
    let Some(_fs) = Tmpfs::mount(&mnt, "4m") else {
        return;
    };
    std::fs::create_dir_all(mnt.join("data")).unwrap();
    assert!(
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success()
    );
    let err = start_fails(&mnt.join("data"), dir.path());
    assert!(
        err.contains("not writable") || err.contains("Read-only"),
        "{err}"
    );
    assert!(
        err.contains(&mnt.join("data").display().to_string()),
        "{err}"
    );
}

#[test]
fn a_full_disk_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("full");
    let Some(_fs) = Tmpfs::mount(&mnt, "256k") else {
        return;
    };
    std::fs::create_dir_all(mnt.join("data")).unwrap();
    // Fill the file system.
    let mut f = std::fs::File::create(mnt.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &block).is_ok() {}
    let err = start_fails(&mnt.join("data"), dir.path());
    assert!(
        err.contains("not writable") || err.contains("full"),
        "{err}"
    );
}

#[tokio::test]
async fn cli_users_share_the_servers_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = Server::start(&data, |c| {
        c.env("DEPOTD_SESSION_CACHE_SECONDS", "0");
    });
    s.wait_healthy().await;
    let cli = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env("DEPOTD_USER_PASSWORD", "bob-password-1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["user", "add", "bob@vsphere.local", "--role", "ReadOnly"]);
    assert!(cli(&["user", "list"]).contains("bob@vsphere.local\tReadOnly"));
    let session: String = client()
        .post(s.url("/api/session"))
        .basic_auth("bob@vsphere.local", Some("bob-password-1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tasks = |id: String| {
        let url = s.url("/api/cis/tasks");
        async move {
            client()
                .get(url)
                .header("vmware-api-session-id", id)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(tasks(session.clone()).await, 200);
    cli(&["user", "rm", "bob@vsphere.local"]);
    assert_eq!(tasks(session).await, 401, "a removed user's session ends");
    let out = Command::new(BIN)
        .args(["user", "rm", "administrator@vsphere.local", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in administrator"));
}
