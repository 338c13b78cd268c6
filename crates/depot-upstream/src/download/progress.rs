//! [`DownloadProgress`]: what a batch has done so far, published on a `watch` channel
//! for the task that runs it.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Receivers are woken at most this often for byte counts (every file event wakes them).
const NOTIFY_EVERY: Duration = Duration::from_millis(100);

/// A batch's progress. `bytes_total` counts the files whose size is known (expected by the
/// caller, or announced by the depot); `files_unsized` says how many are not in it yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DownloadProgress {
    /// Bytes received and kept (a download that starts over gives its bytes back).
    pub bytes_done: u64,
    /// The sizes known so far, summed.
    pub bytes_total: u64,
    /// Files in the batch.
    pub files_total: u32,
    /// Files stored (downloaded, or found in the store already).
    pub files_done: u32,
    /// Files that failed.
    pub files_failed: u32,
    /// Files whose size is not known yet.
    pub files_unsized: u32,
}

/// Updates a batch's progress from its downloads.
pub(super) struct Tracker<'a> {
    tx: &'a watch::Sender<DownloadProgress>,
    last_notified: Mutex<Instant>,
}

impl<'a> Tracker<'a> {
    /// Starts a batch of `files_total` files; `sizes` are the sizes known up front.
    pub(super) fn start(
        tx: &'a watch::Sender<DownloadProgress>,
        sizes: impl Iterator<Item = Option<u64>>,
    ) -> Self {
        let mut start = DownloadProgress::default();
        for size in sizes {
            start.files_total += 1;
            match size {
                Some(size) => start.bytes_total += size,
                None => start.files_unsized += 1,
            }
        }
        tx.send_replace(start);
        Self {
            tx,
            last_notified: Mutex::new(Instant::now()),
        }
    }

    /// The size of a file that had none became known.
    pub(super) fn sized(&self, size: u64) {
        self.event(|p| {
            p.bytes_total += size;
            p.files_unsized = p.files_unsized.saturating_sub(1);
        });
    }

    /// `bytes` more were received.
    pub(super) fn add(&self, bytes: u64) {
        self.tx.send_if_modified(|p| {
            p.bytes_done += bytes;
            let mut last = self
                .last_notified
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.elapsed() < NOTIFY_EVERY {
                return false;
            }
            *last = Instant::now();
            true
        });
    }

    /// `bytes` received earlier were thrown away (the download starts over or failed).
    pub(super) fn give_back(&self, bytes: u64) {
        self.event(|p| p.bytes_done = p.bytes_done.saturating_sub(bytes));
    }

    /// A file is stored; `skipped` bytes were already in the store (not received).
    pub(super) fn file_done(&self, skipped: u64) {
        self.event(|p| {
            p.files_done += 1;
            p.bytes_done += skipped;
        });
    }

    /// A file failed.
    pub(super) fn file_failed(&self) {
        self.event(|p| p.files_failed += 1);
    }

    fn event(&self, change: impl FnOnce(&mut DownloadProgress)) {
        self.tx.send_modify(change);
    }
}
