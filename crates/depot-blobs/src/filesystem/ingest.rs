//! `put`: stream into a temp file while hashing, verify, then commit by rename.

use std::io;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;
use std::time::SystemTime;

use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::FsBlobStore;
use super::layout::{Layout, sync_dir};
use super::temp::TempFile;
use super::writer::{self, Chunk, Written};
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::{BlobInfo, Expected};

impl FsBlobStore {
    pub(super) async fn put_impl(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        expect: Expected,
    ) -> Result<BlobInfo, BlobError> {
        expect.check_announced()?;
        let path = self.layout.tmp_dir().join(self.temp_names.next("put"));
        let (temp, file) = TempFile::create(path).await?;
        let file = file.into_std().await;
        let (file, info) = match stream(reader, file, &temp, expect).await {
            Ok(written) => written,
            Err(e) => {
                temp.discard().await;
                return Err(e);
            }
        };
        let layout = self.layout.clone();
        let lock = self.commit_lock.clone();
        // The temp guard moves into the blocking task: if this future is dropped meanwhile,
        // the commit still finishes or cleans up on its own.
        let existed =
            tokio::task::spawn_blocking(move || commit(file, temp, &layout, &lock, &info.digest))
                .await??;
        tracing::debug!(digest = %info.digest, size = info.size, existed, "blob stored");
        Ok(info)
    }
}

/// Copies `reader` to `file` through the writer (which hashes and writes on a blocking
/// thread while this reads the next chunk), enforcing the limits; checks size and digest
/// at the end.
async fn stream(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    file: std::fs::File,
    temp: &TempFile,
    expect: Expected,
) -> Result<(std::fs::File, BlobInfo), BlobError> {
    let (mut feed, writer) = writer::start(file, temp.path().to_path_buf());
    let mut total: u64 = 0;
    let read = async {
        // `None`: the writer stopped (a write failed); its error is the answer.
        while let Some(mut buf) = feed.buffer().await {
            let (len, eof) = fill(reader, &mut buf, &mut total, expect).await?;
            if len > 0 && feed.chunks.send(Chunk { buf, len }).await.is_err() {
                break;
            }
            if eof {
                break;
            }
        }
        Ok::<_, BlobError>(())
    }
    .await;
    // Closing the feed ends the writer once it has written what it was sent.
    drop(feed);
    let written = writer.await?;
    read?;
    let Written { file, digest, size } = written?;
    if let Some(expected) = expect.size
        && expected != size
    {
        return Err(BlobError::SizeMismatch {
            expected,
            actual: size,
        });
    }
    if let Some(expected) = expect.sha256
        && expected != digest
    {
        return Err(BlobError::DigestMismatch {
            expected,
            actual: digest,
        });
    }
    Ok((file, BlobInfo { digest, size }))
}

/// Reads until `buf` is full, the reader ends or (with some bytes in `buf`) it has
/// nothing more at once, so that a slow sender's bytes reach the file as they come;
/// counts every read and fails as soon as a limit is passed. Returns the bytes in `buf`
/// and whether the reader ended.
async fn fill(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    buf: &mut [u8],
    total: &mut u64,
    expect: Expected,
) -> Result<(usize, bool), BlobError> {
    let mut filled = 0;
    while filled < buf.len() {
        let mut read = std::pin::pin!(reader.read(&mut buf[filled..]));
        let read = if filled == 0 {
            read.await
        } else {
            // One poll: a read that would wait ends this chunk (dropping it loses nothing).
            match std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await {
                Poll::Ready(read) => read,
                Poll::Pending => return Ok((filled, false)),
            }
        };
        let n = match read {
            Ok(0) => return Ok((filled, true)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(match crate::verify::mismatch_in(&source) {
                    Some(mismatch) => BlobError::ChecksumMismatch(mismatch),
                    None => BlobError::Source { source },
                });
            }
        };
        *total += n as u64;
        expect.check_growth(*total)?;
        filled += n;
    }
    Ok((filled, false))
}

/// Makes a verified temp file the blob `digest`; returns whether the blob already existed
/// (then the temp file is dropped and the existing blob's mtime refreshed). Blocking.
///
/// The check-then-rename runs under the store's commit lock, which garbage collection also
/// holds while it checks a blob's age and removes it, so a blob is never removed between
/// "it exists" and "its mtime is fresh".
pub(super) fn commit(
    file: std::fs::File,
    temp: TempFile,
    layout: &Layout,
    lock: &Mutex<()>,
    digest: &Sha256Digest,
) -> Result<bool, BlobError> {
    // The last write may be old (a stalled client), so stamp the commit time: the GC grace
    // period counts from now.
    file.set_modified(SystemTime::now())
        .map_err(BlobError::io("set the mtime of", temp.path()))?;
    file.sync_all()
        .map_err(BlobError::io("sync", temp.path()))?;
    drop(file);
    layout.ensure_shard(digest)?;
    let target = layout.blob_path(digest);
    let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    match std::fs::symlink_metadata(&target) {
        Ok(_) => {
            touch(&target)?;
            drop(guard);
            temp.discard_blocking();
            return Ok(true);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(BlobError::io("stat", &target)(e)),
    }
    std::fs::rename(temp.path(), &target).map_err(BlobError::io("rename", temp.path()))?;
    temp.disarm();
    drop(guard);
    // If this fails the blob stays visible: it is complete and verified, only its
    // durability is unknown, and a concurrent put of the same content may already rely on it.
    sync_dir(&layout.shard_dir(digest))?;
    Ok(false)
}

/// Sets a file's mtime to now.
fn touch(path: &std::path::Path) -> Result<(), BlobError> {
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(BlobError::io("set the mtime of", path))
}
