//! A replica killed (SIGKILL) in the middle of a multipart upload into the bucket, with
//! the real binary on the S3 test server (s3s-fs): the upload's marker and parts stay
//! behind, a garbage collection from another process keeps them while the marker is
//! younger than the grace period, and once it is older aborts the upload and removes the
//! marker: nothing of the upload is left in the bucket, and no blob became visible.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::process::{BIN, PASSWORD, Server};
use crate::support::s3_test_server;

const MIB: usize = 1 << 20;

/// Every file under `dir`, recursively (none when it does not exist).
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files
}

/// The files s3s-fs keeps for multipart upload `upload` in its root directory: the
/// parts (`.upload_id-<id>.part-<n>`), the upload's record and its metadata.
pub(crate) fn upload_files(root: &Path, upload: &str) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.contains(upload))
        .collect()
}

/// Polls `probe` until it answers, for at most 10 s.
async fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "no {what} after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `depotd blobs gc --now` in a process of its own on `data` with the store `flags`;
/// its output line (task id, status, result).
fn gc_now(data: &Path, flags: &[String]) -> String {
    let out = Command::new(BIN)
        .args(["blobs", "gc", "--now", "--data-dir"])
        .arg(data)
        .args(flags)
        .env_remove("DEPOTD_DATABASE_URL")
        .env_remove("DEPOTD_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\tSUCCEEDED\t"), "{stdout}");
    stdout
}

#[tokio::test]
async fn a_replica_killed_mid_upload_leaves_parts_that_gc_elsewhere_removes() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let root = PathBuf::from(
        std::env::var("DEPOTD_TEST_S3_ROOT").expect("DEPOTD_TEST_S3_ROOT (scripts/s3.sh)"),
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let prefix = format!("depotd-killed-{}", uuid::Uuid::new_v4().simple());
    let flags = [
        "--blob-store".to_owned(),
        format!("s3://{bucket}/{prefix}"),
        "--s3-endpoint".to_owned(),
        endpoint,
    ];
    let mut s = Server::start(&data, |c| {
        c.args(&flags).arg("--plain-http");
    });
    s.scheme = "http";
    s.wait_healthy().await;
    let session = s.session(PASSWORD).await;
    assert_eq!(session.status(), 201);
    let sid: String = session.json().await.unwrap();

    // 40 MiB announced, 17 MiB sent: two full 8 MiB parts go to the bucket, and the
    // upload is still waiting for the rest when the process dies.
    let mut upload = TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
    let head = format!(
        "POST /vum-fileupload HTTP/1.1\r\nhost: 127.0.0.1\r\nvmware-api-session-id: {sid}\r\n\
         content-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
        40 * MIB
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    let chunk: Vec<u8> = (0..=250u8).cycle().take(MIB).collect();
    for _ in 0..17 {
        upload.write_all(&chunk).await.unwrap();
    }
    let prefix_dir = root.join(&bucket).join(&prefix);
    let markers = prefix_dir.join("staging/uploads");
    let marker = wait_for("upload marker", || files_under(&markers).pop()).await;
    let record = std::fs::read_to_string(&marker).unwrap();
    let id = record.lines().nth(1).expect("the upload id").to_owned();
    let parts = || {
        upload_files(&root, &id)
            .iter()
            .filter(|name| name.contains(".part-"))
            .count()
    };
    wait_for("two parts", || (parts() >= 2).then_some(())).await;
    upload.write_all(&chunk[..64 * 1024]).await.unwrap();
    s.kill9();
    drop(upload);
    assert!(marker.is_file(), "a killed process removes nothing");
    assert!(parts() >= 2, "{:?}", upload_files(&root, &id));

    // Another process's GC: the marker is younger than the grace period, so the upload
    // may be a live replica's and is kept.
    gc_now(&data, &flags);
    assert!(marker.is_file());
    assert!(parts() >= 2, "{:?}", upload_files(&root, &id));

    // Older than the grace period (1 h): the writer is gone, the upload is aborted.
    let old = SystemTime::now() - Duration::from_hours(2);
    std::fs::File::options()
        .write(true)
        .open(&marker)
        .unwrap()
        .set_modified(old)
        .unwrap();
    gc_now(&data, &flags);
    assert_eq!(
        files_under(&prefix_dir),
        Vec::<PathBuf>::new(),
        "no marker, no staging data, no blob"
    );
    assert_eq!(upload_files(&root, &id), Vec::<String>::new(), "parts left");
}
