//! A `kill -9` during a write leaves no blob, and the next open cleans `tmp/`.
//!
//! The test re-runs this test binary as a child process that executes only
//! [`helper_put_that_never_finishes`], then kills it while the put is writing.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use depot_blobs::{BlobStore, Expected, FsBlobStore};
use tokio::io::AsyncWriteExt as _;

use crate::fixture::{assert_empty, data, temp_with_data};

/// Tells the helper which store root to use; without it the helper does nothing.
const DIR_ENV: &str = "DEPOT_BLOBS_CRASH_TEST_DIR";
/// The helper's full test name (for `--exact`).
const HELPER: &str = "crash::helper_put_that_never_finishes";

#[tokio::test]
#[ignore = "helper of kill_9_during_put_leaves_nothing, which runs it in a child process"]
async fn helper_put_that_never_finishes() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let store = FsBlobStore::open(dir).await.expect("open store");
    let (mut writer, mut reader) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        writer.write_all(&data(1 << 20, 1)).await.expect("feed");
        // Never end the data; wait to be killed.
        std::future::pending::<()>().await;
        drop(writer);
    });
    let result = store.put(&mut reader, Expected::default()).await;
    panic!("put returned without end of data: {result:?}");
}

#[tokio::test]
async fn kill_9_during_put_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", HELPER, "--nocapture", "--include-ignored"])
        .env(DIR_ENV, dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn helper");
    let mut child = KillOnDrop(child);

    let deadline = Instant::now() + Duration::from_mins(1);
    let temp = loop {
        if let Some(status) = child.0.try_wait().expect("poll helper") {
            panic!("helper exited early: {status}");
        }
        if let Some(temp) = temp_with_data(dir.path()) {
            break temp;
        }
        assert!(Instant::now() < deadline, "helper never started writing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    child.0.kill().expect("kill -9 the helper");
    let status = child.0.wait().expect("reap the helper");
    assert!(!status.success());
    assert!(temp.exists(), "the killed writer left its temp file");

    let store = FsBlobStore::open(dir.path()).await.expect("reopen");
    assert_empty(dir.path(), &store).await;
}

/// Kills the helper if the test fails before it does (the helper never exits by itself).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
