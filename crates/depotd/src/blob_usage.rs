//! [`BlobUsage`]: the bytes in the blob store, for the `depotd_blob_bytes` gauge, counted
//! in the background and cached.
//!
//! Counting means listing the whole store (on S3 one LIST request per 1,000 objects),
//! so a scrape does not count: it reads the last figure and, when that figure's listing
//! started [`REFRESH_EVERY`] or longer ago and none is on its way, starts a listing in
//! the background for the scrapes after it. A blob garbage-collection pass, which lists
//! the store anyway, hands its figure in too. The store is listed at most once per
//! interval however often (and by however many scrapers) `/metrics` is read, and not at
//! all while nobody reads it.
//!
//! Staleness: a scrape shows the figure of a listing that started at most
//! [`REFRESH_EVERY`] before the previous scrape (plus the listing's own duration); the
//! first scrape of a process starts the first listing and shows no figure yet.
//! `depotd_blob_bytes_timestamp_seconds` says when the figure shown was taken.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use depot_blobs::BlobStore;

/// The shortest time between two listings started for the gauge.
pub const REFRESH_EVERY: Duration = Duration::from_mins(1);

/// A figure: the bytes in committed blobs, and when the listing that found them started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Bytes in committed blobs.
    pub bytes: u64,
    /// When the listing started (blobs committed after it may be missing).
    pub taken: SystemTime,
}

#[derive(Debug, Default)]
struct State {
    /// The newest figure.
    last: Option<Reading>,
    /// When the last listing (or garbage-collection pass) started.
    started: Option<Instant>,
    /// Whether a background listing is on its way.
    running: bool,
}

/// The cached size of a blob store (see the module docs).
pub struct BlobUsage {
    blobs: Arc<dyn BlobStore>,
    every: Duration,
    state: Mutex<State>,
}

impl std::fmt::Debug for BlobUsage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobUsage")
            .field("every", &self.every)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl BlobUsage {
    /// A cache over `blobs` that lists it at most once per `every`.
    pub fn new(blobs: Arc<dyn BlobStore>, every: Duration) -> Arc<Self> {
        Arc::new(Self {
            blobs,
            every,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The newest figure, if any; starts a background listing when the last one started
    /// an interval ago or longer and none is running. Never waits on the store; must be
    /// called within a Tokio runtime.
    pub fn current(self: &Arc<Self>) -> Option<Reading> {
        let mut state = self.state();
        let due = state.started.is_none_or(|at| at.elapsed() >= self.every);
        if due && !state.running {
            state.running = true;
            state.started = Some(Instant::now());
            let this = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(e) = this.refresh().await {
                    tracing::warn!(error = %e, "counting the bytes in the blob store failed");
                }
                this.state().running = false;
            });
        }
        state.last
    }

    /// Lists the store now and records the figure; counts as the interval's listing (the
    /// background listing; tests call it to have a fresh figure at once).
    pub async fn refresh(&self) -> Result<Reading, depot_blobs::BlobError> {
        self.state().started = Some(Instant::now());
        let taken = SystemTime::now();
        let bytes = self.blobs.usage().await?;
        let reading = Reading { bytes, taken };
        self.record(reading);
        Ok(reading)
    }

    /// Records the figure of a garbage-collection pass that started at `taken` (the
    /// bytes it kept); it counts as a listing for the interval.
    pub fn record_gc(&self, bytes_kept: u64, taken: SystemTime) {
        self.record(Reading {
            bytes: bytes_kept,
            taken,
        });
        self.state().started = Some(Instant::now());
    }

    /// Keeps `reading` unless a newer one is recorded already (a slow listing that
    /// started earlier must not replace a later figure).
    fn record(&self, reading: Reading) {
        let mut state = self.state();
        if state.last.is_none_or(|last| last.taken <= reading.taken) {
            state.last = Some(reading);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_older_figure_never_replaces_a_newer_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = depot_blobs::FsBlobStore::open(dir.path())
            .await
            .expect("store");
        let usage = BlobUsage::new(Arc::new(store), Duration::from_hours(1));
        let fresh = usage.refresh().await.expect("count");
        assert_eq!(fresh.bytes, 0);
        // A GC pass that started before the count finishes after it: its figure is older.
        usage.record_gc(99, fresh.taken - Duration::from_secs(1));
        assert_eq!(usage.current(), Some(fresh));
        usage.record_gc(7, fresh.taken + Duration::from_secs(1));
        assert_eq!(usage.current().map(|r| r.bytes), Some(7));
        // A GC figure counts as a count: no listing starts within the interval.
        assert!(!usage.state().running);
    }
}
