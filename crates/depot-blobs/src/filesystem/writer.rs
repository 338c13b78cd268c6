//! The writing half of a `put`: a blocking thread that hashes each chunk the reader
//! hands it and appends it to the temp file, starting the chunks' write-back to disk as
//! it goes, so the final `fsync` finds little left to do.

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;

use sha2::Digest as _;
use tokio::sync::mpsc;

use crate::Sha256Digest;
use crate::error::BlobError;

/// Bytes of each chunk (and of each write to the temp file).
pub(super) const CHUNK: usize = 1024 * 1024;

/// Chunks that may wait for the writer: with the one it writes and the one the reader
/// fills, a put holds at most `QUEUED + 2` chunks.
pub(super) const QUEUED: usize = 4;

/// Bytes written between two write-back starts.
pub(super) const WRITEBACK_EVERY: u64 = 16 * 1024 * 1024;

/// A chunk: its buffer (always [`CHUNK`] long, so it is reused without clearing) and the
/// bytes of it that carry data.
pub(super) struct Chunk {
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
}

/// What the writer wrote: the file (to sync and commit), the digest of its bytes, and
/// their count.
pub(super) struct Written {
    pub(super) file: File,
    pub(super) digest: Sha256Digest,
    pub(super) size: u64,
}

/// The ends the reader keeps: where to send chunks, and where spent buffers come back.
pub(super) struct Feed {
    pub(super) chunks: mpsc::Sender<Chunk>,
    pub(super) spent: mpsc::UnboundedReceiver<Vec<u8>>,
    allocated: usize,
}

impl Feed {
    /// A buffer to fill: a spent one, a new one while fewer than `QUEUED + 2` exist, else
    /// the next one the writer gives back (`None`: the writer stopped).
    pub(super) async fn buffer(&mut self) -> Option<Vec<u8>> {
        if let Ok(buf) = self.spent.try_recv() {
            return Some(buf);
        }
        if self.allocated < QUEUED + 2 {
            self.allocated += 1;
            return Some(vec![0; CHUNK]);
        }
        self.spent.recv().await
    }
}

/// Starts the writer on the blocking pool; it runs until the feed's sender is dropped
/// (then returns what it wrote) or a write fails.
pub(super) fn start(
    file: File,
    path: PathBuf,
) -> (Feed, tokio::task::JoinHandle<Result<Written, BlobError>>) {
    let (chunks, incoming) = mpsc::channel(QUEUED);
    let (give_back, spent) = mpsc::unbounded_channel();
    let writer = tokio::task::spawn_blocking(move || write(file, &path, incoming, &give_back));
    let feed = Feed {
        chunks,
        spent,
        allocated: 0,
    };
    (feed, writer)
}

fn write(
    mut file: File,
    path: &std::path::Path,
    mut incoming: mpsc::Receiver<Chunk>,
    give_back: &mpsc::UnboundedSender<Vec<u8>>,
) -> Result<Written, BlobError> {
    let mut hasher = sha2::Sha256::new();
    let mut size: u64 = 0;
    let mut handed_to_disk: u64 = 0;
    while let Some(chunk) = incoming.blocking_recv() {
        let data = &chunk.buf[..chunk.len];
        hasher.update(data);
        file.write_all(data).map_err(BlobError::io("write", path))?;
        size += data.len() as u64;
        // The reader may be gone (the put failed or was dropped): nothing to give back to.
        let _ = give_back.send(chunk.buf);
        if size - handed_to_disk >= WRITEBACK_EVERY {
            start_writeback(&file, handed_to_disk, size - handed_to_disk);
            handed_to_disk = size;
        }
    }
    Ok(Written {
        file,
        digest: Sha256Digest::from_bytes(hasher.finalize().into()),
        size,
    })
}

/// Asks the kernel to start writing `len` bytes at `offset` to disk now, without waiting
/// (Linux starts write-back for `POSIX_FADV_DONTNEED`; of those pages it drops only the
/// clean ones, so what was just written stays cached). Without it, a machine with much memory keeps a whole multi-GiB upload in
/// dirty pages and writes all of it during the final `fsync`. Only advice: a failure
/// costs nothing but time.
#[cfg(target_os = "linux")]
pub(super) fn start_writeback(file: &File, offset: u64, len: u64) {
    let _ = rustix::fs::fadvise(
        file,
        offset,
        std::num::NonZeroU64::new(len),
        rustix::fs::Advice::DontNeed,
    );
}

#[cfg(not(target_os = "linux"))]
pub(super) fn start_writeback(_file: &File, _offset: u64, _len: u64) {}
