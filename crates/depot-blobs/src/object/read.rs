//! Reads, stats, deletes, listing and the write probe: single requests, and GET bodies
//! streamed as they arrive (never buffered whole).

use std::time::SystemTime;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectMeta, ObjectStore as _, ObjectStoreExt as _, PutPayload,
};
use tokio_util::io::StreamReader;

use super::keys::{Keys, random_id};
use super::metrics::{bytes_in, bytes_out, call};
use super::{S3BlobStore, parallel_read};
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::{BlobInfo, BlobReader};

/// Maps "not found" to the blob's [`BlobError::NotFound`], anything else to a store error.
fn not_found_or(
    op: &'static str,
    key: &Path,
    digest: &Sha256Digest,
) -> impl FnOnce(object_store::Error) -> BlobError {
    let (key, digest) = (key.clone(), *digest);
    move |e| match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound { digest },
        e => BlobError::store(op, &key)(e),
    }
}

/// What a failed first write says about the set-up.
fn why_unusable(error: &object_store::Error) -> &'static str {
    match error {
        object_store::Error::NotFound { .. } => "the bucket does not exist",
        object_store::Error::Unauthenticated { .. }
        | object_store::Error::PermissionDenied { .. } => {
            "the credentials were refused (check the access key and secret)"
        }
        e if format!("{e:?}").contains("NoSuchBucket") => "the bucket does not exist",
        e if format!("{e:?}").contains("SignatureDoesNotMatch")
            || format!("{e:?}").contains("InvalidAccessKeyId") =>
        {
            "the credentials were refused (check the access key and secret)"
        }
        _ => "the endpoint is unreachable or failing (check --s3-endpoint)",
    }
}

impl S3BlobStore {
    /// GETs `key` (or a range of it) and streams its body; returns the reader and the
    /// object's total size.
    async fn get(
        &self,
        digest: &Sha256Digest,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<(BlobReader, u64), BlobError> {
        let key = self.shared.keys.blob(digest);
        let options = GetOptions::new().with_range(range.map(GetRange::from));
        let result = call("get", self.shared.client.get_opts(&key, options))
            .await
            .map_err(not_found_or("read", &key, digest))?;
        let size = result.meta.size;
        let (start, end) = (result.range.start, result.range.end);
        let first = result
            .into_stream()
            .inspect_ok(|chunk| bytes_in(chunk.len()))
            .map_err(std::io::Error::from)
            .boxed();
        let shared = &self.shared;
        let body = parallel_read::body(&shared.client, &key, first, start, end, &shared.readers);
        Ok((Box::new(StreamReader::new(body)), size))
    }

    pub(super) async fn open_whole(
        &self,
        digest: &Sha256Digest,
    ) -> Result<(BlobReader, u64), BlobError> {
        self.get(digest, None).await
    }

    pub(super) async fn open_range_impl(
        &self,
        digest: &Sha256Digest,
        start: u64,
        end: Option<u64>,
    ) -> Result<(BlobReader, u64), BlobError> {
        let size = self
            .stat_impl(digest)
            .await?
            .ok_or(BlobError::NotFound { digest: *digest })?;
        let stop = end.unwrap_or(size);
        if start > stop || stop > size {
            return Err(BlobError::RangeNotSatisfiable {
                digest: *digest,
                start,
                end,
                size,
            });
        }
        if start == stop {
            return Ok((Box::new(tokio::io::empty()), size));
        }
        let (reader, _) = self.get(digest, Some(start..stop)).await?;
        Ok((reader, size))
    }

    pub(super) async fn stat_impl(&self, digest: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        let key = self.shared.keys.blob(digest);
        match call("head", self.shared.client.head(&key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::store("stat", &key)(e)),
        }
    }

    pub(super) async fn delete_impl(&self, digest: &Sha256Digest) -> Result<bool, BlobError> {
        if self.stat_impl(digest).await?.is_none() {
            return Ok(false);
        }
        let key = self.shared.keys.blob(digest);
        match call("delete", self.shared.client.delete(&key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
            Err(e) => Err(BlobError::store("delete", &key)(e)),
        }
    }

    /// Every object under `prefix`, listed in full.
    pub(super) async fn list_under(&self, prefix: &Path) -> Result<Vec<ObjectMeta>, BlobError> {
        call(
            "list",
            self.shared
                .client
                .list(Some(prefix))
                .try_collect::<Vec<_>>(),
        )
        .await
        .map_err(BlobError::store("list", prefix))
    }

    /// Every committed blob with its LastModified, unsorted.
    pub(super) async fn list_blobs(&self) -> Result<Vec<(BlobInfo, SystemTime)>, BlobError> {
        let metas = self.list_under(&self.shared.keys.blobs()).await?;
        Ok(metas
            .into_iter()
            .filter_map(|meta| {
                let digest = Keys::digest_of(&meta.location)?;
                let info = BlobInfo {
                    digest,
                    size: meta.size,
                };
                Some((info, SystemTime::from(meta.last_modified)))
            })
            .collect())
    }

    /// Writes, reads back and removes a small object under `staging/`.
    pub(super) async fn probe(&self) -> Result<(), BlobError> {
        let key = self.shared.keys.probe(&random_id()?);
        let client = &self.shared.client;
        let body = format!("depotd write probe {key}");
        let unusable = |source| BlobError::Unusable {
            bucket: self.bucket.clone(),
            reason: why_unusable(&source),
            source,
        };
        // A listing first: some servers create a missing bucket on a PUT into it.
        let staging = self.shared.keys.markers();
        call("list", client.list_with_delimiter(Some(&staging)))
            .await
            .map_err(unusable)?;
        call("put", client.put(&key, PutPayload::from(body.clone())))
            .await
            .map_err(unusable)?;
        bytes_out(body.len());
        let back = call("get", async { client.get(&key).await?.bytes().await })
            .await
            .map_err(BlobError::store("read back the probe", &key))?;
        bytes_in(back.len());
        call("delete", client.delete(&key))
            .await
            .map_err(BlobError::store("remove the probe", &key))?;
        if back != body.as_bytes() {
            return Err(BlobError::store("read back the probe", &key)(
                object_store::Error::Generic {
                    store: "S3",
                    source: "the probe read back differs from what was written".into(),
                },
            ));
        }
        Ok(())
    }
}
