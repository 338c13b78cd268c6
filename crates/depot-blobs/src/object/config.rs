//! [`S3Config`]: where the bucket is and how to reach it, turned into an `object_store`
//! client.

use std::path::PathBuf;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

use crate::error::BlobError;

/// An access key pair for the object store.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id (`AWS_ACCESS_KEY_ID`).
    pub access_key_id: String,
    /// The secret access key (`AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// How to reach an S3-compatible bucket and where in it the blobs live.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The bucket's name.
    pub bucket: String,
    /// The key prefix under which the store keeps everything (no leading or trailing
    /// `/` needed; empty: the bucket's root).
    pub prefix: String,
    /// The endpoint URL (`http://127.0.0.1:9000`); `None`: AWS S3 itself.
    pub endpoint: Option<String>,
    /// The region to sign requests for.
    pub region: String,
    /// The credentials; `None`: the `AWS_*` environment as `object_store` reads it.
    pub credentials: Option<S3Credentials>,
    /// Whether a plain `http://` endpoint is allowed (loopback and test set-ups).
    pub allow_http: bool,
    /// A local directory for spooled copies of blobs ([`open_file`]); it should be on
    /// the data disk, not in `/tmp`.
    ///
    /// [`open_file`]: crate::BlobStore::open_file
    pub spool_dir: PathBuf,
    /// The largest object the server copies with one `CopyObject` request; a larger
    /// write whose digest was not known up front is copied into place through this
    /// process instead. [`AWS_COPY_LIMIT`](super::AWS_COPY_LIMIT) is right for AWS and
    /// safe everywhere.
    pub copy_limit: u64,
}

impl S3Config {
    /// The `object_store` client: path-style requests, bounded retries (a dead endpoint
    /// fails within seconds, not minutes), no total timeout on a request (a large part or
    /// a long read may take a while) but one on each read of a response.
    pub(super) fn client(&self) -> Result<AmazonS3, BlobError> {
        let options = ClientOptions::new()
            .with_allow_http(self.allow_http)
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout_disabled()
            .with_read_timeout(Duration::from_mins(1));
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(false)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(c) = &self.credentials {
            builder = builder
                .with_access_key_id(&c.access_key_id)
                .with_secret_access_key(&c.secret_access_key);
        } else {
            if let Ok(key) = std::env::var("AWS_ACCESS_KEY_ID") {
                builder = builder.with_access_key_id(key);
            }
            if let Ok(secret) = std::env::var("AWS_SECRET_ACCESS_KEY") {
                builder = builder.with_secret_access_key(secret);
            }
            if let Ok(token) = std::env::var("AWS_SESSION_TOKEN") {
                builder = builder.with_token(token);
            }
        }
        builder
            .build()
            .map_err(|e| BlobError::Config(e.to_string()))
    }
}
