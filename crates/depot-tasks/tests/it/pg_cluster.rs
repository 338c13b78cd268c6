//! PostgreSQL for the replica tests: the shared test database (`DEPOTD_TEST_POSTGRES_URL`),
//! or a throwaway cluster of this test's own, which it may stop and start.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The shared test database's URL; `None` (after saying so) when PostgreSQL tests are
/// skipped.
///
/// # Panics
/// When `DEPOTD_REQUIRE_POSTGRES=1` but no URL is set.
pub fn shared_url() -> Option<String> {
    match std::env::var("DEPOTD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !required(),
                "DEPOTD_REQUIRE_POSTGRES=1 but DEPOTD_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: set DEPOTD_TEST_POSTGRES_URL");
            None
        }
    }
}

fn required() -> bool {
    std::env::var("DEPOTD_REQUIRE_POSTGRES").as_deref() == Ok("1")
}

/// A new schema name.
pub fn fresh_schema() -> String {
    format!("depot_tasks_{}", uuid::Uuid::new_v4().simple())
}

/// A PostgreSQL cluster in a temporary directory on a free loopback port, stopped and
/// removed when dropped (as `scripts/postgres.sh` starts one: `initdb`, `pg_ctl`; as
/// the `postgres` user when run as root).
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_root: bool,
}

impl PgCluster {
    /// Initializes and starts a cluster; `None` (after saying so) when PostgreSQL's
    /// programs are not installed.
    ///
    /// # Panics
    /// When `DEPOTD_REQUIRE_POSTGRES=1` and they are missing, or a step fails.
    pub fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max_by_key(|b| {
                b.parent()
                    .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
                    .unwrap_or(0)
            });
        let Some(bin) = bin else {
            assert!(
                !required(),
                "DEPOTD_REQUIRE_POSTGRES=1 but initdb is missing"
            );
            eprintln!("skipped: PostgreSQL's programs are not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // Root runs PostgreSQL as `postgres` (initdb refuses root).
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if as_root {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self {
            dir,
            bin,
            port,
            as_root,
        };
        let data = cluster.data();
        run(cluster
            .pg("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "depot",
                "-E",
                "UTF8",
                "--no-locale",
                "-D",
            ])
            .arg(&data));
        cluster.start_again();
        run(cluster.pg("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "depot",
            "depot",
        ]));
        Some(cluster)
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        format!("postgres://depot@127.0.0.1:{}/depot", self.port)
    }

    /// Stops the server at once (`immediate`: connections cut, as in a crash).
    pub fn stop(&self) {
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"]));
    }

    /// Starts the (stopped) server again on the same port.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-o", &options, "start"]));
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// PostgreSQL's program `name`, as the `postgres` user when we are root.
    fn pg(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn run(c: &mut Command) {
    let out = c.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{c:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
