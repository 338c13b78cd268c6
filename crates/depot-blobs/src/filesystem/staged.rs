//! [`FsStagedWrite`]: a staged write into a temp file of `<root>/tmp/`, hashed on the
//! blocking pool as it is written, committed like a `put`.

use std::io::{self, Seek as _, Write as _};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sha2::Digest as _;

use super::FsBlobStore;
use super::ingest::commit;
use super::layout::Layout;
use super::temp::TempFile;
use crate::error::BlobError;
use crate::staged::StagedWrite;
use crate::store::{BlobInfo, Expected};
use crate::verify::RunningChecksum;
use crate::{Checksum, Sha256Digest};

/// Bytes gathered before each trip to the blocking pool (hash and write).
const CHUNK: usize = 256 * 1024;

/// What the blocking pool works on: the file and the hash states. Moved into each blocking
/// task and back.
struct Sink {
    file: std::fs::File,
    sha256: sha2::Sha256,
    declared: Option<RunningChecksum>,
}

impl Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.sha256.update(data);
        if let Some(declared) = &mut self.declared {
            declared.update(data);
        }
        self.file.write_all(data)
    }

    fn restart(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.sha256 = sha2::Sha256::new();
        if let Some(declared) = &mut self.declared {
            declared.reset();
        }
        Ok(())
    }
}

/// A [`StagedWrite`] of the file-system store.
pub(super) struct FsStagedWrite {
    /// `None` while nothing usable is left: a blocking write or restart failed (or its
    /// task was lost), so the file and the hashes may disagree.
    sink: Option<Sink>,
    /// Accepted bytes not yet handed to the blocking pool.
    pending: Vec<u8>,
    len: u64,
    expect: Expected,
    temp: TempFile,
    layout: Arc<Layout>,
    commit_lock: Arc<Mutex<()>>,
}

impl FsBlobStore {
    pub(super) async fn stage_impl(
        &self,
        expect: Expected,
        declared: Option<Checksum>,
    ) -> Result<FsStagedWrite, BlobError> {
        if let (Some(size), Some(limit)) = (expect.size, expect.max_size)
            && size > limit
        {
            return Err(BlobError::TooLarge { limit });
        }
        let path = self.layout.tmp_dir().join(self.temp_names.next("staged"));
        let (temp, file) = TempFile::create(path).await?;
        Ok(FsStagedWrite {
            sink: Some(Sink {
                file: file.into_std().await,
                sha256: sha2::Sha256::new(),
                declared: declared.map(RunningChecksum::new),
            }),
            pending: Vec::with_capacity(CHUNK),
            len: 0,
            expect,
            temp,
            layout: self.layout.clone(),
            commit_lock: self.commit_lock.clone(),
        })
    }
}

impl FsStagedWrite {
    /// The error for a write that can no longer be used.
    fn broken(&self) -> BlobError {
        BlobError::io("write", self.temp.path())(io::Error::other(
            "an earlier write to this staged blob failed",
        ))
    }

    /// Runs `work` on the sink on the blocking pool; a failure leaves the write broken.
    async fn on_sink<T: Send + 'static>(
        &mut self,
        op: &'static str,
        work: impl FnOnce(&mut Sink) -> io::Result<T> + Send + 'static,
    ) -> Result<T, BlobError> {
        let mut sink = self.sink.take().ok_or_else(|| self.broken())?;
        let (sink, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut sink);
            (sink, result)
        })
        .await?;
        let value = result.map_err(BlobError::io(op, self.temp.path()))?;
        self.sink = Some(sink);
        Ok(value)
    }

    /// Hashes and writes the pending bytes.
    async fn flush(&mut self) -> Result<(), BlobError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.pending);
        let mut data = self
            .on_sink("write", move |sink| sink.write(&data).map(|()| data))
            .await?;
        data.clear();
        self.pending = data;
        Ok(())
    }

    /// Checks the size and digest the caller expected; returns the digest.
    fn check(&self, sha256: sha2::Sha256) -> Result<Sha256Digest, BlobError> {
        if let Some(expected) = self.expect.size
            && expected != self.len
        {
            return Err(BlobError::SizeMismatch {
                expected,
                actual: self.len,
            });
        }
        let digest = Sha256Digest::from_bytes(sha256.finalize().into());
        if let Some(expected) = self.expect.sha256
            && expected != digest
        {
            return Err(BlobError::DigestMismatch {
                expected,
                actual: digest,
            });
        }
        Ok(digest)
    }

    /// Flushes and checks everything; returns the file and the digest.
    async fn finish(&mut self) -> Result<(std::fs::File, Sha256Digest), BlobError> {
        self.flush().await?;
        let sink = self.sink.take().ok_or_else(|| self.broken())?;
        let digest = self.check(sink.sha256)?;
        if let Some(declared) = sink.declared {
            declared.finish()?;
        }
        Ok((sink.file, digest))
    }
}

#[async_trait]
impl StagedWrite for FsStagedWrite {
    fn len(&self) -> u64 {
        self.len
    }

    async fn write(&mut self, mut data: &[u8]) -> Result<(), BlobError> {
        if self.sink.is_none() {
            return Err(self.broken());
        }
        let end = self.len + data.len() as u64;
        if let Some(limit) = self.expect.max_size
            && end > limit
        {
            return Err(BlobError::TooLarge { limit });
        }
        if let Some(expected) = self.expect.size
            && end > expected
        {
            return Err(BlobError::SizeMismatch {
                expected,
                actual: end,
            });
        }
        self.len = end;
        while !data.is_empty() {
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == CHUNK {
                self.flush().await?;
            }
        }
        if self.expect.size == Some(self.len) {
            // Complete: write the tail now and give the buffer back, so a caller that
            // holds many finished writes until it commits them (a bundle import) holds
            // files, not 256 KiB buffers.
            self.flush().await?;
            self.pending = Vec::new();
        }
        Ok(())
    }

    async fn restart(&mut self) -> Result<(), BlobError> {
        self.pending.clear();
        self.len = 0;
        self.on_sink("truncate", Sink::restart).await
    }

    async fn commit(mut self: Box<Self>) -> Result<BlobInfo, BlobError> {
        let (file, digest) = match self.finish().await {
            Ok(done) => done,
            Err(e) => {
                self.temp.discard().await;
                return Err(e);
            }
        };
        let Self {
            len,
            temp,
            layout,
            commit_lock,
            ..
        } = *self;
        // As in `put`: the temp guard moves into the blocking task, so a dropped future
        // still finishes the commit or cleans up.
        let existed =
            tokio::task::spawn_blocking(move || commit(file, temp, &layout, &commit_lock, &digest))
                .await??;
        tracing::debug!(%digest, size = len, existed, "staged blob stored");
        Ok(BlobInfo { digest, size: len })
    }

    async fn abort(self: Box<Self>) {
        let Self { sink, temp, .. } = *self;
        drop(sink);
        temp.discard().await;
    }
}
