//! A put streams: the memory it takes does not grow with the blob.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use depot_blobs::{BlobStore, Expected, Sha256Digest};
use sha2::Digest as _;
use tokio::io::{AsyncRead, ReadBuf};

use crate::fixture::new_store;

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

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_put_keeps_its_memory_bounded() {
    const SIZE: u64 = 256 * MIB;
    let (_dir, store) = new_store().await;
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
    let growth_mib = status_kib("VmHWM").saturating_sub(before) / 1024;
    assert_eq!(info.size, SIZE);
    let sent = Sha256Digest::from_bytes(reader.hasher.finalize().into());
    assert_eq!(info.digest, sent);
    assert!(
        growth_mib < 64,
        "a put of {} MiB grew the peak RSS by {growth_mib} MiB",
        SIZE / MIB
    );
}
