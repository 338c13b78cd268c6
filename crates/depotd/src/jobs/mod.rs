//! The jobs this server runs, and the schedule of its housekeeping.

mod blob_gc;

use std::sync::Arc;
use std::time::Duration;

use depot_auth::AuthService;
use depot_blobs::BlobStore;
use depot_metadata::MetadataStore;
use depot_tasks::Job;
use tracing::warn;

pub use blob_gc::BlobGc;

use crate::app::App;

/// How often expired sessions are purged.
const SESSION_PURGE_EVERY: Duration = Duration::from_mins(10);
/// How often unreferenced blobs are collected.
const BLOB_GC_EVERY: Duration = Duration::from_hours(6);

/// Every job of the server.
pub fn all(
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    _auth: Arc<AuthService>,
) -> Vec<Arc<dyn Job>> {
    vec![Arc::new(BlobGc::new(store, blobs))]
}

/// Starts the periodic housekeeping: purging expired sessions, collecting blobs.
pub fn schedule_housekeeping(app: &App) {
    let app = app.clone();
    tokio::spawn(async move {
        let mut sessions = tokio::time::interval(SESSION_PURGE_EVERY);
        let mut gc = tokio::time::interval(BLOB_GC_EVERY);
        gc.tick().await;
        loop {
            tokio::select! {
                _ = sessions.tick() => {
                    if let Err(e) = app.services.auth.purge_expired().await {
                        warn!(error = %e, "purging expired sessions failed");
                    }
                }
                _ = gc.tick() => {
                    if let Err(e) = app.services.tasks.submit(BlobGc::task("system")).await {
                        warn!(error = %e, "submitting blob garbage collection failed");
                    }
                }
            }
        }
    });
}
