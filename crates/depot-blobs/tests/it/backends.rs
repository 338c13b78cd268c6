//! The backends the generic suites run on: the file-system store in a temp dir, and the
//! S3 store on a real S3-compatible server (`scripts/s3.sh` starts s3s-fs and exports
//! `DEPOTD_TEST_S3_*`), each test under its own random prefix. Without that environment
//! the S3 runs are skipped, unless `DEPOTD_REQUIRE_S3=1` (then they fail). The same
//! suites run once more on moto (`scripts/moto.sh`), a second opinion.

use std::path::PathBuf;

use depot_blobs::{BlobStore, FsBlobStore, S3BlobStore, S3Config, S3Credentials};
use futures_util::TryStreamExt as _;
use object_store::ObjectStore as _;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use tempfile::TempDir;

/// A store under test and what is needed to look behind it.
pub struct Harness {
    pub store: Box<dyn BlobStore>,
    behind: Behind,
}

enum Behind {
    Fs(TempDir),
    S3 {
        raw: AmazonS3,
        prefix: String,
        _spool: TempDir,
    },
}

/// Where the S3 server of the tests is, if there is one.
pub struct S3Env {
    pub endpoint: String,
    pub bucket: String,
    pub credentials: S3Credentials,
}

/// The test server's settings from the environment; `None` (skip) when absent, a panic
/// when absent but required.
pub fn s3_env() -> Option<S3Env> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(endpoint), Some(bucket), Some(access_key_id), Some(secret_access_key)) = (
        var("DEPOTD_TEST_S3_ENDPOINT"),
        var("DEPOTD_TEST_S3_BUCKET"),
        var("AWS_ACCESS_KEY_ID"),
        var("AWS_SECRET_ACCESS_KEY"),
    ) {
        return Some(S3Env {
            endpoint,
            bucket,
            credentials: S3Credentials {
                access_key_id,
                secret_access_key,
            },
        });
    }
    assert!(
        std::env::var("DEPOTD_REQUIRE_S3").as_deref() != Ok("1"),
        "DEPOTD_REQUIRE_S3=1 but DEPOTD_TEST_S3_ENDPOINT/_BUCKET or the AWS_* credentials are not set (source scripts/s3.sh)"
    );
    eprintln!("skipped: no S3 test server (source scripts/s3.sh)");
    None
}

/// A fresh random prefix.
pub fn random_prefix() -> String {
    format!("test-{:016x}", getrandom::u64().expect("random"))
}

impl S3Env {
    /// A store config on this server under `prefix`, spooling into `spool`.
    pub fn config(&self, prefix: &str, spool: PathBuf) -> S3Config {
        S3Config {
            bucket: self.bucket.clone(),
            prefix: prefix.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".to_owned(),
            credentials: Some(self.credentials.clone()),
            allow_http: true,
            spool_dir: spool,
            copy_limit: depot_blobs::AWS_COPY_LIMIT,
        }
    }

    /// A raw client on the bucket, to look at what the store left there.
    pub fn raw(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id(&self.credentials.access_key_id)
            .with_secret_access_key(&self.credentials.secret_access_key)
            .build()
            .expect("raw client")
    }
}

/// A file-system store in a fresh temp dir.
pub async fn fs() -> Option<Harness> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsBlobStore::open(dir.path()).await.expect("open store");
    Some(Harness {
        store: Box::new(store),
        behind: Behind::Fs(dir),
    })
}

/// An S3 store under a fresh prefix, or `None` when there is no test server (async
/// like [`fs`], for the suites' macros).
#[expect(
    clippy::unused_async,
    reason = "the suites' macros await every backend"
)]
pub async fn s3() -> Option<Harness> {
    let env = s3_env()?;
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let store = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("store");
    Some(Harness {
        store: Box::new(store),
        behind: Behind::S3 {
            raw: env.raw(),
            prefix,
            _spool: spool,
        },
    })
}

impl Harness {
    /// What in-progress writes left behind: temp files, or objects under `staging/`.
    pub async fn leftovers(&self) -> Vec<String> {
        match &self.behind {
            Behind::Fs(dir) => crate::fixture::tmp_files(dir.path())
                .into_iter()
                .map(|p| p.display().to_string())
                .collect(),
            Behind::S3 { raw, prefix, .. } => {
                let staging = Path::from(format!("{prefix}/staging"));
                raw.list(Some(&staging))
                    .map_ok(|meta| meta.location.to_string())
                    .try_collect()
                    .await
                    .expect("list staging")
            }
        }
    }

    /// Asserts nothing is visible and nothing is left behind, waiting a little for
    /// clean-ups a dropped write started in the background.
    pub async fn assert_empty(&self) {
        assert_eq!(self.store.list().await.expect("list"), Vec::new());
        assert_eq!(self.store.usage().await.expect("usage"), 0);
        let mut left = self.leftovers().await;
        for _ in 0..100 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            left = self.leftovers().await;
        }
        assert_eq!(left, Vec::<String>::new());
    }
}
