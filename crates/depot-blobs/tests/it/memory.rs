//! A put streams: the memory it takes does not grow with the blob, on the file system and
//! through S3 (and a read back from S3 streams too). The tests that hold large buffers
//! take [`MEMORY`] shared, these take it alone, so the peak they measure is their own.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use depot_blobs::{Expected, Sha256Digest};
use sha2::Digest as _;
use tokio::io::{AsyncRead, ReadBuf};

use crate::backends::Harness;

/// Held shared by tests that hold many MiB at once, alone by the measuring ones.
pub static MEMORY: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

const MIB: u64 = 1024 * 1024;

/// `left` bytes of a pattern, made as they are read (nothing held), hashed on the way.
struct Pattern {
    left: u64,
    block: Vec<u8>,
    hasher: sha2::Sha256,
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let n = usize::try_from(this.left)
            .unwrap_or(usize::MAX)
            .min(buf.remaining())
            .min(this.block.len());
        this.block.rotate_left(1);
        buf.put_slice(&this.block[..n]);
        this.hasher.update(&this.block[..n]);
        this.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// A line of `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .expect("a VmRSS/VmHWM line")
}

/// Puts 256 MiB made on the fly and reads it back (streamed and hashed); the peak RSS
/// may grow by less than `limit_mib` (the S3 store keeps up to five 8 MiB parts).
async fn a_large_put_keeps_its_memory_bounded(h: &Harness, limit_mib: u64) {
    const SIZE: u64 = 256 * MIB;
    let _alone = MEMORY.write().await;
    let store = h.store.as_ref();
    // Reset the peak to the current RSS (other tests of this binary take a few MiB at
    // most; buffering the blob would take all of it).
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
    let before = status_kib("VmRSS");
    let mut reader = Pattern {
        left: SIZE,
        block: (0..=255u8).cycle().take(64 * 1024 + 7).collect(),
        hasher: sha2::Sha256::new(),
    };
    let expect = Expected {
        size: Some(SIZE),
        ..Expected::default()
    };
    let info = store.put(&mut reader, expect).await.expect("put");
    assert_eq!(info.size, SIZE);
    let sent = Sha256Digest::from_bytes(reader.hasher.finalize().into());
    assert_eq!(info.digest, sent);
    let (mut blob, _) = store.open(&info.digest).await.expect("open");
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut blob, &mut buf)
            .await
            .expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    assert_eq!(Sha256Digest::from_bytes(hasher.finalize().into()), sent);
    let growth_mib = status_kib("VmHWM").saturating_sub(before) / 1024;
    eprintln!(
        "a put and read of {} MiB grew the peak RSS by {growth_mib} MiB",
        SIZE / MIB
    );
    assert!(
        growth_mib < limit_mib,
        "a put and read of {} MiB grew the peak RSS by {growth_mib} MiB",
        SIZE / MIB
    );
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_put_keeps_its_memory_bounded_fs() {
    let Some(h) = crate::backends::fs().await else {
        return;
    };
    a_large_put_keeps_its_memory_bounded(&h, 64).await;
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_put_keeps_its_memory_bounded_s3() {
    let Some(h) = crate::backends::s3().await else {
        return;
    };
    a_large_put_keeps_its_memory_bounded(&h, 96).await;
}
