//! [`Upload`]: data pushed in pieces, hashed on the way in and sent as the parts of a
//! multipart upload, committed under its digest only after the checks pass.
//!
//! Data that fits in one part is kept in memory and, once checked, written with one PUT.
//! Larger data becomes a multipart upload, recorded by a marker under `staging/uploads/`
//! so that any replica's garbage collection can abort it if this process dies. When the
//! digest is known up front the parts go straight to the blob's key (they are invisible
//! until the upload is completed, which happens only after the checks); otherwise they go
//! to a staging key that is copied to the blob's key once the digest is known (by the
//! server, or through this process when it is beyond the server's copy limit: `copy`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::path::Path;
use object_store::{ObjectStoreExt as _, PutPayload};
use sha2::Digest as _;
use tokio::task::JoinHandle;

use super::keys::random_id;
use super::metrics::{bytes_out, call};
use super::{Shared, copy};
use crate::error::BlobError;
use crate::store::{BlobInfo, Expected};
use crate::verify::RunningChecksum;
use crate::{Checksum, Sha256Digest};

/// Bytes per part (S3 wants at least 5 MiB for every part but the last).
pub(super) const PART: usize = 8 << 20;
/// Parts sent at once besides the one being filled: memory stays below
/// `(IN_FLIGHT + 1) * PART` per write.
const IN_FLIGHT: usize = 4;

/// How often a long upload re-writes its marker (a heartbeat: other replicas' garbage
/// collection aborts uploads whose marker is older than its grace period).
const MARKER_REFRESH: Duration = Duration::from_mins(5);

type PartTask = JoinHandle<Result<PartId, BlobError>>;

/// A multipart upload in progress.
struct Multipart {
    /// Our id: the marker's name (and the staging key's).
    id: String,
    /// Where the parts go.
    key: Path,
    /// The store's upload id.
    upload: String,
    /// Whether `key` is a staging key (the digest was not known up front).
    to_staging: bool,
    /// Parts on their way, oldest first.
    sending: VecDeque<PartTask>,
    /// Parts that arrived, in order.
    parts: Vec<PartId>,
    /// When the marker was last written.
    marker_written: Instant,
}

/// An in-progress write; dropping it unfinished removes its upload in the background.
pub(super) struct Upload {
    shared: Arc<Shared>,
    expect: Expected,
    sha256: sha2::Sha256,
    declared: Option<RunningChecksum>,
    len: u64,
    /// Accepted bytes not yet sent.
    buf: Vec<u8>,
    multipart: Option<Multipart>,
}

impl Upload {
    /// Starts a write checked against `expect` and, when given, a declared checksum.
    pub(super) fn new(
        shared: Arc<Shared>,
        expect: Expected,
        declared: Option<Checksum>,
    ) -> Result<Self, BlobError> {
        expect.check_announced()?;
        Ok(Self {
            shared,
            expect,
            sha256: sha2::Sha256::new(),
            declared: declared.map(RunningChecksum::new),
            len: 0,
            buf: Vec::new(),
            multipart: None,
        })
    }

    /// Bytes accepted so far.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// The size the caller announced, if any.
    pub(super) fn expected_size(&self) -> Option<u64> {
        self.expect.size
    }

    /// Accepts `data`: fails without accepting any of it when it passes the size cap or
    /// the expected size; sends a part whenever one is full.
    pub(super) async fn push(&mut self, mut data: &[u8]) -> Result<(), BlobError> {
        let end = self.len + data.len() as u64;
        self.expect.check_growth(end)?;
        self.sha256.update(data);
        if let Some(declared) = &mut self.declared {
            declared.update(data);
        }
        self.len = end;
        while !data.is_empty() {
            let take = (PART - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == PART {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    /// Sends what is buffered as a part and waits for every part on its way, so that a
    /// finished write the caller holds keeps no buffer (a bundle import holds many).
    pub(super) async fn settle(&mut self) -> Result<(), BlobError> {
        if !self.buf.is_empty() {
            self.send_part().await?;
        }
        self.buf = Vec::new();
        if let Some(mp) = &mut self.multipart {
            while let Some(task) = mp.sending.pop_front() {
                mp.parts.push(task.await??);
            }
        }
        Ok(())
    }

    /// Sends the buffer as the next part (starting the upload first if needed); waits
    /// for the oldest part when too many are on their way.
    async fn send_part(&mut self) -> Result<(), BlobError> {
        if self.multipart.is_none() {
            self.multipart = Some(self.start().await?);
        }
        let mp = self.multipart.as_mut().expect("started above");
        let data = Bytes::from(std::mem::take(&mut self.buf));
        let index = mp.parts.len() + mp.sending.len();
        let (client, key, upload) = (
            self.shared.client.clone(),
            mp.key.clone(),
            mp.upload.clone(),
        );
        mp.sending.push_back(tokio::spawn(async move {
            let n = data.len();
            let part = call(
                "put part",
                client.put_part(&key, &upload, index, PutPayload::from(data)),
            )
            .await
            .map_err(BlobError::store("upload a part of", &key))?;
            bytes_out(n);
            Ok(part)
        }));
        while mp.sending.len() > IN_FLIGHT {
            let task = mp.sending.pop_front().expect("non-empty");
            mp.parts.push(task.await??);
        }
        if mp.marker_written.elapsed() >= MARKER_REFRESH {
            let (id, key, upload) = (mp.id.clone(), mp.key.clone(), mp.upload.clone());
            self.write_marker(&id, &key, &upload).await?;
            if let Some(mp) = &mut self.multipart {
                mp.marker_written = Instant::now();
            }
        }
        Ok(())
    }

    /// Writes (or re-writes) the marker of upload `id`: its key and upload id.
    async fn write_marker(&self, id: &str, key: &Path, upload: &str) -> Result<(), BlobError> {
        let marker = self.shared.keys.marker(id);
        let record = format!("{key}\n{upload}\n");
        call(
            "put",
            self.shared.client.put(&marker, PutPayload::from(record)),
        )
        .await
        .map(drop)
        .map_err(BlobError::store("write the upload marker", &marker))
    }

    /// Creates the multipart upload and its marker.
    async fn start(&self) -> Result<Multipart, BlobError> {
        let id = random_id()?;
        let keys = &self.shared.keys;
        let (key, to_staging) = match &self.expect.sha256 {
            Some(digest) => (keys.blob(digest), false),
            None => (keys.staging_data(&id), true),
        };
        let client = &self.shared.client;
        let upload = call("create multipart", client.create_multipart(&key))
            .await
            .map_err(BlobError::store("start an upload to", &key))?;
        self.shared.live(&id, true);
        if let Err(e) = self.write_marker(&id, &key, &upload).await {
            self.shared.live(&id, false);
            let _ = call("abort multipart", client.abort_multipart(&key, &upload)).await;
            return Err(e);
        }
        Ok(Multipart {
            id,
            key,
            upload,
            to_staging,
            sending: VecDeque::new(),
            parts: Vec::new(),
            marker_written: Instant::now(),
        })
    }

    /// Checks size, digest and declared checksum; returns the digest.
    fn check(&mut self) -> Result<Sha256Digest, BlobError> {
        if let Some(expected) = self.expect.size
            && expected != self.len
        {
            return Err(BlobError::SizeMismatch {
                expected,
                actual: self.len,
            });
        }
        let digest = Sha256Digest::from_bytes(self.sha256.clone().finalize().into());
        if let Some(expected) = self.expect.sha256
            && expected != digest
        {
            return Err(BlobError::DigestMismatch {
                expected,
                actual: digest,
            });
        }
        if let Some(declared) = self.declared.take() {
            declared.finish()?;
        }
        Ok(digest)
    }

    /// Checks the data and makes it visible under its digest; on error removes
    /// everything it wrote.
    pub(super) async fn commit(mut self) -> Result<BlobInfo, BlobError> {
        match self.commit_inner().await {
            Ok(digest) => Ok(BlobInfo {
                digest,
                size: self.len,
            }),
            Err(e) => {
                self.abort().await;
                Err(e)
            }
        }
    }

    async fn commit_inner(&mut self) -> Result<Sha256Digest, BlobError> {
        if self.multipart.is_some() {
            self.settle().await?;
        }
        let digest = self.check()?;
        if self
            .multipart
            .as_ref()
            .is_some_and(|mp| mp.to_staging && self.len > self.shared.copy_limit)
        {
            return self.commit_through(digest).await;
        }
        let blob = self.shared.keys.blob(&digest);
        let client = self.shared.client.clone();
        // Shared with other commits (of every process, with a fence); garbage collection
        // takes it alone to remove a blob, so a blob is not removed between this write
        // and its fresh LastModified.
        let _commit = self.shared.hold_for_commit(&digest).await?;
        let Some(mp) = &self.multipart else {
            let data = Bytes::from(std::mem::take(&mut self.buf));
            let n = data.len();
            call("put", client.put(&blob, PutPayload::from(data)))
                .await
                .map_err(BlobError::store("write", &blob))?;
            bytes_out(n);
            return Ok(digest);
        };
        let parts = mp.parts.clone();
        call(
            "complete multipart",
            client.complete_multipart(&mp.key, &mp.upload, parts),
        )
        .await
        .map_err(BlobError::store("complete the upload to", &mp.key))?;
        let mp = self.multipart.take().expect("checked above");
        if mp.to_staging {
            let copied = call("copy", client.copy(&mp.key, &blob))
                .await
                .map_err(BlobError::store("copy into place", &blob));
            let _ = call("delete", client.delete(&mp.key)).await;
            if let Err(e) = copied {
                self.shared.forget(&mp.id).await;
                return Err(e);
            }
        }
        self.shared.forget(&mp.id).await;
        Ok(digest)
    }

    /// Completes the staging upload and writes its object to the blob key through this
    /// process ([`copy::through`]), then removes the staging object and the marker. The
    /// marker is re-written first: other replicas' garbage collection leaves the staging
    /// object alone for a grace period from now.
    async fn commit_through(&mut self, digest: Sha256Digest) -> Result<Sha256Digest, BlobError> {
        let mp = self.multipart.as_ref().expect("checked by the caller");
        let (id, key, upload) = (mp.id.clone(), mp.key.clone(), mp.upload.clone());
        self.write_marker(&id, &key, &upload).await?;
        let client = self.shared.client.clone();
        call(
            "complete multipart",
            client.complete_multipart(&key, &upload, mp.parts.clone()),
        )
        .await
        .map_err(BlobError::store("complete the upload to", &key))?;
        self.multipart = None;
        let copied = copy::through(&self.shared, &key, digest, self.len).await;
        let _ = call("delete", client.delete(&key)).await;
        self.shared.forget(&id).await;
        copied.map(|()| digest)
    }

    /// Forgets the data so far; the next push starts at byte 0.
    pub(super) async fn restart(&mut self) {
        self.abort().await;
        self.sha256 = sha2::Sha256::new();
        if let Some(declared) = &mut self.declared {
            declared.reset();
        }
        self.len = 0;
        self.buf = Vec::new();
    }

    /// Removes the multipart upload and its staging data, if any.
    pub(super) async fn abort(&mut self) {
        self.buf = Vec::new();
        if let Some(mp) = self.multipart.take() {
            cleanup(self.shared.clone(), mp).await;
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(mp) = self.multipart.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(cleanup(self.shared.clone(), mp));
        }
    }
}

/// Aborts an upload once its parts have landed and removes its staging data and marker
/// (the marker stays when the abort fails: garbage collection retries it).
async fn cleanup(shared: Arc<Shared>, mut mp: Multipart) {
    while let Some(task) = mp.sending.pop_front() {
        let _ = task.await;
    }
    let client = &shared.client;
    let aborted = call(
        "abort multipart",
        client.abort_multipart(&mp.key, &mp.upload),
    )
    .await;
    if let Err(e) = &aborted
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        tracing::warn!(key = %mp.key, error = %e, "cannot abort a multipart upload; garbage collection will retry");
        shared.live(&mp.id, false);
        return;
    }
    if mp.to_staging {
        let _ = call("delete", client.delete(&mp.key)).await;
    }
    shared.forget(&mp.id).await;
}
