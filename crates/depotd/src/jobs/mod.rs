//! The jobs this server runs, and the schedule of its housekeeping.

mod blob_gc;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use depot_auth::AuthService;
use depot_blobs::BlobStore;
use depot_metadata::MetadataStore;
use depot_model::LibraryId;
use depot_tasks::Job;
use tracing::warn;

pub use blob_gc::BlobGc;

use crate::app::App;
use crate::blob_usage::BlobUsage;

/// How often expired sessions are purged.
const SESSION_PURGE_EVERY: Duration = Duration::from_mins(10);
/// How often idle content-library sessions and unused uploaded files are expired.
const LIBRARY_EXPIRY_EVERY: Duration = Duration::from_secs(30);
/// How often unreferenced blobs are collected.
const BLOB_GC_EVERY: Duration = Duration::from_hours(6);

/// Every job of the server.
pub fn all(
    store: &Arc<dyn MetadataStore>,
    blobs: &Arc<dyn BlobStore>,
    usage: &Arc<BlobUsage>,
    _auth: &Arc<AuthService>,
) -> Vec<Arc<dyn Job>> {
    vec![Arc::new(
        BlobGc::new(Arc::clone(store), Arc::clone(blobs)).reporting_to(Arc::clone(usage)),
    )]
}

/// Starts the periodic housekeeping: purging expired sessions, expiring idle
/// content-library sessions and unused uploaded files, collecting blobs.
pub fn schedule_housekeeping(app: &App) {
    let app = app.clone();
    tokio::spawn(async move {
        let mut sessions = tokio::time::interval(SESSION_PURGE_EVERY);
        let mut gc = tokio::time::interval(BLOB_GC_EVERY);
        let mut library = tokio::time::interval(LIBRARY_EXPIRY_EVERY);
        gc.tick().await;
        // When this process last submitted each library's automatic sync, so that a
        // failing publisher is tried once per interval, not on every tick.
        let mut submitted = HashMap::new();
        loop {
            tokio::select! {
                _ = sessions.tick() => {
                    if let Err(e) = app.services.auth.purge_expired().await {
                        warn!(error = %e, "purging expired sessions failed");
                    }
                }
                _ = library.tick() => {
                    submit_due_syncs(&app, &mut submitted).await;
                    match app.library.expire_sessions().await {
                        Ok(r) if r.update_sessions + r.download_sessions > 0 => tracing::info!(
                            update_sessions = r.update_sessions,
                            download_sessions = r.download_sessions,
                            "expired idle content-library sessions"
                        ),
                        Ok(_) => {}
                        Err(e) => warn!(error = %e, "expiring content-library sessions failed"),
                    }
                    if let Err(e) = app.uploads.expire_uploads().await {
                        warn!(error = %e, "expiring uploaded files failed");
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

/// Submits the automatic syncs that are due (a sync already pending or running is
/// returned by the engine, not doubled).
async fn submit_due_syncs(app: &App, submitted: &mut HashMap<LibraryId, Instant>) {
    let interval = app.library.config().sync_interval;
    let due = match app.library.due_syncs(app.library.now()).await {
        Ok(due) => due,
        Err(e) => {
            warn!(error = %e, "listing subscribed libraries due for a sync failed");
            return;
        }
    };
    submitted.retain(|_, at| at.elapsed() < interval);
    for id in due {
        if submitted.contains_key(&id) {
            continue;
        }
        submitted.insert(id, Instant::now());
        let task = depot_library::LibrarySyncRequest::task(id, "system");
        if let Err(e) = app.services.tasks.submit(task).await {
            warn!(error = %e, library = %id, "submitting an automatic library sync failed");
        }
    }
}
