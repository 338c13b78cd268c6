//! The commit fence between replicas on one bucket (s3s-fs) and one PostgreSQL
//! database: stores over two metadata stores stand for two processes. A commit waits
//! while garbage collection elsewhere holds the fence between its re-check and its
//! removal; garbage collection waits while a commit elsewhere holds it, then sees the
//! rewritten blob as fresh and keeps it. A store without the fence waits for neither
//! (the race the fence closes). And depotd wires the fence on PostgreSQL + S3.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use depot_blobs::{
    BlobInfo, BlobStore, CommitFence, Expected, GcReport, S3BlobStore, S3Config, Sha256Digest,
};
use depotd::commit_fence::DatabaseFence;
use tokio::task::JoinHandle;

use crate::support::{PgSchema, TestApp, s3_test_server, use_s3};

const HOUR: Duration = Duration::from_hours(1);

/// How long a fenced operation is watched not to finish.
const WAITS: Duration = Duration::from_millis(500);

/// How long an operation that should go through may take (a loaded machine).
const DONE: Duration = Duration::from_secs(30);

/// Two processes' worth of fences on one database, and stores on one bucket prefix.
struct Replicas {
    fence_a: Arc<dyn CommitFence>,
    fence_b: Arc<dyn CommitFence>,
    config: S3Config,
    /// Where s3s-fs keeps the prefix's objects, one file each.
    objects: PathBuf,
    _spool: tempfile::TempDir,
    _schema: PgSchema,
}

impl Replicas {
    /// `None` (skip) without PostgreSQL, S3 or the S3 server's root directory.
    async fn start() -> Option<Self> {
        let (endpoint, bucket) = s3_test_server()?;
        let schema = PgSchema::fresh().await?;
        let Ok(root) = std::env::var("DEPOTD_TEST_S3_ROOT") else {
            eprintln!("skipped: DEPOTD_TEST_S3_ROOT is not set (scripts/s3.sh)");
            return None;
        };
        let fence_a = database_fence(&schema).await;
        let fence_b = database_fence(&schema).await;
        let spool = tempfile::tempdir().unwrap();
        let prefix = format!("depotd-fence-{}", uuid::Uuid::new_v4().simple());
        let objects = PathBuf::from(root).join(&bucket).join(&prefix);
        let config = S3Config {
            bucket,
            prefix,
            endpoint: Some(endpoint),
            region: "us-east-1".to_owned(),
            credentials: None,
            allow_http: true,
            spool_dir: spool.path().to_owned(),
            copy_limit: depot_blobs::AWS_COPY_LIMIT,
        };
        Some(Self {
            fence_a,
            fence_b,
            config,
            objects,
            _spool: spool,
            _schema: schema,
        })
    }

    /// A store taking `fence`.
    fn fenced(&self, fence: &Arc<dyn CommitFence>) -> Arc<S3BlobStore> {
        Arc::new(S3BlobStore::with_fence(&self.config, Arc::clone(fence)).unwrap())
    }

    /// A store without a fence.
    fn unfenced(&self) -> Arc<S3BlobStore> {
        Arc::new(S3BlobStore::new(&self.config).unwrap())
    }

    /// Makes blob `digest` two hours old (its object's Last-Modified is its file's
    /// modification time).
    fn age(&self, digest: &Sha256Digest) {
        let hex = digest.to_string();
        let file = self.objects.join("sha256").join(&hex[..2]).join(&hex);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * HOUR)
            .unwrap();
    }
}

/// The fence of a new metadata store on `schema`'s database (a process of its own).
async fn database_fence(schema: &PgSchema) -> Arc<dyn CommitFence> {
    let store = depot_metadata::connect(&schema.database_url())
        .await
        .expect("open the database");
    DatabaseFence::of(store.as_ref()).expect("PostgreSQL has a fence")
}

/// `bytes` put into `store` in a task of its own.
fn start_put(store: Arc<dyn BlobStore>, bytes: Vec<u8>) -> JoinHandle<BlobInfo> {
    tokio::spawn(async move {
        store
            .put(&mut bytes.as_slice(), Expected::default())
            .await
            .unwrap()
    })
}

/// Asserts that `task` does not finish while watched for [`WAITS`].
async fn assert_waits<T>(task: &JoinHandle<T>, what: &str) {
    tokio::time::sleep(WAITS).await;
    assert!(!task.is_finished(), "{what} did not wait for the fence");
}

/// `task`'s result, within [`DONE`].
async fn finished<T>(task: JoinHandle<T>, what: &str) -> T {
    tokio::time::timeout(DONE, task)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish"))
        .unwrap()
}

/// Deterministic bytes of `len`.
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).unwrap().wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_waits_while_another_process_removes_the_blob() {
    let Some(r) = Replicas::start().await else {
        return;
    };
    let b = r.fenced(&r.fence_b);
    let unfenced = r.unfenced();
    // One PUT, and a multipart upload copied into place from staging.
    for (len, seed) in [(64 * 1024, 1), (9_000_000, 2)] {
        let bytes = content(len, seed);
        let digest = Sha256Digest::compute(&bytes);
        // Garbage collection on A between its re-check and its removal of the blob.
        let removal = r.fence_a.exclusive(&digest).await.unwrap();

        let put = start_put(b.clone(), bytes.clone());
        assert_waits(&put, "a fenced put").await;
        assert_eq!(unfenced.stat(&digest).await.unwrap(), None, "{len} bytes");
        // Without the fence, the put goes through (and A's removal would take it).
        let info = tokio::time::timeout(
            DONE,
            unfenced.put(&mut bytes.as_slice(), Expected::default()),
        )
        .await
        .expect("an unfenced put waits for nothing")
        .unwrap();
        assert_eq!(info.digest, digest);
        assert!(!put.is_finished(), "the fenced put did not wait");

        drop(removal);
        let info = finished(put, "the fenced put").await;
        assert_eq!((info.digest, info.size), (digest, len as u64));
        assert_eq!(unfenced.stat(&digest).await.unwrap(), Some(len as u64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gc_waits_for_a_commit_in_another_process_and_keeps_what_it_wrote() {
    let Some(r) = Replicas::start().await else {
        return;
    };
    let a = r.fenced(&r.fence_a);
    let unfenced = r.unfenced();
    let (kept_bytes, lost_bytes) = (content(100_000, 3), content(100_000, 4));
    let kept = a
        .put(&mut kept_bytes.as_slice(), Expected::default())
        .await
        .unwrap()
        .digest;
    let lost = a
        .put(&mut lost_bytes.as_slice(), Expected::default())
        .await
        .unwrap()
        .digest;
    r.age(&kept);
    r.age(&lost);
    // B commits both again (holds their fences shared while it writes them).
    let commit_kept = r.fence_b.shared(&kept).await.unwrap();
    let commit_lost = r.fence_b.shared(&lost).await.unwrap();

    // Without the fence, garbage collection does not wait for B's commit: the blob B
    // is writing is removed (only `lost` is unreferenced here).
    let report = tokio::time::timeout(DONE, unfenced.collect_garbage(&|d| *d != lost, HOUR))
        .await
        .expect("unfenced garbage collection waits for nothing")
        .unwrap();
    assert_eq!(report.removed, 1);
    assert_eq!(unfenced.stat(&lost).await.unwrap(), None);
    drop(commit_lost);

    // With it, A's garbage collection waits for B's commit of `kept` ...
    let gc = {
        let a = a.clone();
        tokio::spawn(async move { a.collect_garbage(&|d| *d != kept, HOUR).await.unwrap() })
    };
    assert_waits(&gc, "fenced garbage collection").await;
    // ... which writes the blob's object again (as B's complete or copy does) ...
    unfenced
        .put(&mut kept_bytes.as_slice(), Expected::default())
        .await
        .unwrap();
    drop(commit_kept);
    // ... and then sees it fresh and keeps it.
    let report = finished(gc, "fenced garbage collection").await;
    assert_eq!(
        report,
        GcReport {
            removed: 0,
            bytes_freed: 0,
            kept: 1,
            bytes_kept: kept_bytes.len() as u64,
        }
    );
    assert_eq!(a.stat(&kept).await.unwrap(), Some(kept_bytes.len() as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn depotd_fences_its_bucket_on_postgres() {
    if s3_test_server().is_none() {
        return;
    }
    let Some(schema) = PgSchema::fresh().await else {
        return;
    };
    let url = schema.database_url();
    let app = TestApp::with(
        |config| {
            config.database_url = Some(url.into());
            use_s3(config);
        },
        Vec::new(),
    )
    .await;
    let other = database_fence(&schema).await;
    let bytes = content(10_000, 5);
    let digest = Sha256Digest::compute(&bytes);
    let removal = other.exclusive(&digest).await.unwrap();
    let put = start_put(Arc::clone(&app.app.blobs), bytes);
    assert_waits(&put, "the server's put").await;
    drop(removal);
    assert_eq!(finished(put, "the server's put").await.digest, digest);
}
