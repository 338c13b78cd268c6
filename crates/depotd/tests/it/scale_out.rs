//! The README's "Scale out" example, run: two replicas of the real binary on one
//! PostgreSQL schema and one S3 prefix, behind nginx configured with the README's block
//! (its ports replaced). A session opened through the balancer works on both replicas,
//! and a file uploaded through it is in the bucket both read.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::{Server, free_port};
use crate::support::{ADMIN, PgSchema, s3_test_server};

const README: &str = include_str!("../../../../README.md");
const PASSWORD: &str = "Process-test-1";

/// The nginx block between the README's markers.
fn nginx_example() -> String {
    let start = README
        .find("<!-- scale-out nginx example -->")
        .expect("the README's nginx example");
    let block = &README[start..];
    let block = &block[block.find("```nginx\n").expect("an nginx block") + 9..];
    block[..block.find("```").expect("the block's end")].to_owned()
}

/// nginx in the foreground with `http_block` in a minimal configuration; killed on drop.
struct Nginx(Child);

impl Drop for Nginx {
    /// SIGTERM, so that the master stops its worker too (a SIGKILLed master leaves an
    /// orphaned worker behind).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

fn start_nginx(dir: &std::path::Path, http_block: &str) -> Nginx {
    let bin = nginx_binary().expect("nginx");
    let d = dir.display();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{}}\nhttp {{\naccess_log off;\nclient_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\n{http_block}\n}}\n"
        ),
    )
    .unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    Nginx(child)
}

/// Two replicas on one database (`store.0`), one blob store (`store.1` at `store.2`)
/// and one secret key, healthy.
async fn start_replicas(
    dir: &std::path::Path,
    store: &(String, String, String),
    key: &std::path::Path,
) -> Vec<Server> {
    let mut replicas = Vec::new();
    for n in 1..=2 {
        let mut s = Server::start(&dir.join(format!("data-{n}")), |c| {
            c.arg("--plain-http")
                .arg("--database-url")
                .arg(&store.0)
                .arg("--blob-store")
                .arg(&store.1)
                .arg("--s3-endpoint")
                .arg(&store.2)
                .arg("--secret-key-file")
                .arg(key);
        });
        s.scheme = "http";
        s.wait_healthy().await;
        replicas.push(s);
    }
    replicas
}

/// The value of a gauge line in a Prometheus text.
fn gauge(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing:\n{metrics}"))
}

#[tokio::test]
async fn the_readme_example_balances_two_replicas_on_one_database_and_bucket() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let Some(schema) = PgSchema::fresh().await else {
        return;
    };
    if nginx_binary().is_none() {
        assert!(
            std::env::var("DEPOTD_REQUIRE_S3").as_deref() != Ok("1"),
            "nginx is missing (apt-get install nginx-light)"
        );
        eprintln!("skipped: no nginx");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secret.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    let prefix = format!("scale-out-{}", uuid::Uuid::new_v4().simple());
    let store = (
        schema.database_url(),
        format!("s3://{bucket}/{prefix}"),
        endpoint,
    );
    let replicas = start_replicas(dir.path(), &store, &key).await;
    let lb_port = free_port();
    let block = nginx_example()
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{}", replicas[0].port))
        .replace("127.0.0.1:8082", &format!("127.0.0.1:{}", replicas[1].port))
        .replace("listen 8080;", &format!("listen 127.0.0.1:{lb_port};"));
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let _nginx = start_nginx(&nginx_dir, &block);
    let lb = |path: &str| format!("http://127.0.0.1:{lb_port}{path}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http
            .get(lb("/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        up,
        "nginx did not come up: {:?}",
        std::fs::read_to_string(nginx_dir.join("error.log"))
    );

    // A session opened through the balancer, used round-robin on both replicas.
    let r = http
        .post(lb("/api/session"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let sid: String = r.json().await.unwrap();
    for _ in 0..6 {
        let r = http
            .get(lb("/api/vcenter/datastore"))
            .header("vmware-api-session-id", &sid)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    // An upload through the balancer lands in the bucket both replicas read.
    let file = vec![42u8; 3 * 1024 * 1024];
    let r = http
        .post(lb("/vum-fileupload"))
        .header("vmware-api-session-id", &sid)
        .header("content-type", "application/octet-stream")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    // Each replica counts its blob bytes in the background, its first scrape starting
    // the first count: poll until it shows.
    for replica in &replicas {
        let mut metrics = String::new();
        for _ in 0..400 {
            metrics = http
                .get(replica.url("/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if metrics.contains("depotd_blob_bytes ") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(
            gauge(&metrics, "depotd_blob_bytes") >= 3.0 * 1024.0 * 1024.0,
            "{metrics}"
        );
    }
}
