//! [`FsStagedWrite`]: a staged write into a temp file of `<root>/tmp/`, hashed on the
//! blocking pool as it is written (one chunk there while the caller gathers the next),
//! committed like a `put`.

use std::io::{self, Seek as _, Write as _};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sha2::Digest as _;

use super::FsBlobStore;
use super::ingest::commit;
use super::layout::Layout;
use super::temp::TempFile;
use super::writer;
use crate::error::BlobError;
use crate::staged::StagedWrite;
use crate::store::{BlobInfo, Expected};
use crate::verify::RunningChecksum;
use crate::{Checksum, Sha256Digest};

/// Bytes gathered before each trip to the blocking pool (hash and write), as a `put`'s.
const CHUNK: usize = writer::CHUNK;

/// What the blocking pool works on: the file and the hash states. Moved into each blocking
/// task and back.
struct Sink {
    file: std::fs::File,
    sha256: sha2::Sha256,
    declared: Option<RunningChecksum>,
    /// Bytes in the file, and how many of them were handed to the disk's write-back.
    written: u64,
    handed_to_disk: u64,
}

impl Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.sha256.update(data);
        if let Some(declared) = &mut self.declared {
            declared.update(data);
        }
        self.file.write_all(data)?;
        self.written += data.len() as u64;
        // As a `put` does: the commit's `fsync` then finds little left to write.
        if self.written - self.handed_to_disk >= writer::WRITEBACK_EVERY {
            writer::start_writeback(
                &self.file,
                self.handed_to_disk,
                self.written - self.handed_to_disk,
            );
            self.handed_to_disk = self.written;
        }
        Ok(())
    }

    fn restart(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.sha256 = sha2::Sha256::new();
        if let Some(declared) = &mut self.declared {
            declared.reset();
        }
        self.written = 0;
        self.handed_to_disk = 0;
        Ok(())
    }
}

/// A chunk being hashed and written on the blocking pool: it gives back the sink, the
/// chunk's buffer (to fill again) and how the write went.
type InFlight = tokio::task::JoinHandle<(Sink, Vec<u8>, io::Result<()>)>;

/// A [`StagedWrite`] of the file-system store.
pub(super) struct FsStagedWrite {
    /// `None` while a chunk is in flight, or when nothing usable is left: a blocking
    /// write or restart failed (or its task was lost), so the file and the hashes may
    /// disagree.
    sink: Option<Sink>,
    /// The chunk on the blocking pool, if any: at most one, so chunks reach the file in
    /// order and a write holds at most two buffers.
    in_flight: Option<InFlight>,
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
        expect.check_announced()?;
        let path = self.layout.tmp_dir().join(self.temp_names.next("staged"));
        let (temp, file) = TempFile::create(path).await?;
        Ok(FsStagedWrite {
            sink: Some(Sink {
                file: file.into_std().await,
                sha256: sha2::Sha256::new(),
                declared: declared.map(RunningChecksum::new),
                written: 0,
                handed_to_disk: 0,
            }),
            in_flight: None,
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

    /// Waits for the chunk in flight, if any; its failure leaves the write broken. Returns
    /// its buffer, to fill again.
    async fn settle(&mut self) -> Result<Option<Vec<u8>>, BlobError> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(None);
        };
        let (sink, buf, result) = in_flight.await?;
        result.map_err(BlobError::io("write", self.temp.path()))?;
        self.sink = Some(sink);
        Ok(Some(buf))
    }

    /// Runs `work` on the sink on the blocking pool (after the chunk in flight); a failure
    /// leaves the write broken.
    async fn on_sink<T: Send + 'static>(
        &mut self,
        op: &'static str,
        work: impl FnOnce(&mut Sink) -> io::Result<T> + Send + 'static,
    ) -> Result<T, BlobError> {
        self.settle().await?;
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

    /// Hands the pending bytes to the blocking pool to be hashed and written, once the
    /// chunk before them is; returns without waiting for them.
    async fn flush(&mut self) -> Result<(), BlobError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let spare = self.settle().await?;
        let mut sink = self.sink.take().ok_or_else(|| self.broken())?;
        let next = spare.map_or_else(
            || Vec::with_capacity(CHUNK),
            |mut buf| {
                buf.clear();
                buf
            },
        );
        let data = std::mem::replace(&mut self.pending, next);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let result = sink.write(&data);
            (sink, data, result)
        }));
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
        self.settle().await?;
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
        if self.sink.is_none() && self.in_flight.is_none() {
            return Err(self.broken());
        }
        let end = self.len + data.len() as u64;
        self.expect.check_growth(end)?;
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
            // Complete: write the tail now and give the buffers back, so a caller that
            // holds many finished writes until it commits them (a bundle import) holds
            // files, not 1 MiB buffers.
            self.flush().await?;
            self.settle().await?;
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

    async fn abort(mut self: Box<Self>) {
        // Not written to any more once removed; its failure does not matter now.
        let _ = self.settle().await;
        let Self { sink, temp, .. } = *self;
        drop(sink);
        temp.discard().await;
    }
}
