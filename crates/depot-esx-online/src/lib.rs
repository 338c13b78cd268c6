#![doc = include_str!("../README.md")]

mod delete_job;
mod depots;
mod documents;
mod error;
mod jobs;
mod location;
mod sync;

use std::sync::Arc;

use depot_blobs::BlobStore;
use depot_esx::Limits;
use depot_metadata::MetadataStore;
use depot_model::Clock;
use depot_upstream::DownloadSettings;

pub use crate::delete_job::{DEPOT_DELETE_JOB_KIND, DepotDeleteJob, DepotDeleteRequest};
pub use crate::depots::{NewOnlineDepot, OnlineDepotUpdate};
pub use crate::error::OnlineDepotError;
pub use crate::jobs::{DEPOTS_SYNC_JOB_KIND, DepotsSyncJob, DepotsSyncRequest};
pub use crate::location::DepotLocation;
pub use crate::sync::SyncReport;

/// How online depots are reached and read.
#[derive(Debug, Clone, Default)]
pub struct OnlineSettings {
    /// PEM certificates trusted for HTTPS depots (the only anchors when not empty;
    /// otherwise the platform's roots).
    pub trusted_certificates: Vec<String>,
    /// An HTTP(S) proxy for every request.
    pub proxy_url: Option<String>,
    /// Parallel payload downloads and the per-sync bandwidth limit.
    pub download: DownloadSettings,
    /// The caps on documents and metadata zips.
    pub limits: Limits,
}

/// The online-depot service: the depots, their content, and syncing them.
#[derive(Clone)]
pub struct OnlineDepots {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    settings: OnlineSettings,
}

impl OnlineDepots {
    /// The service over `store` and `blobs`.
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        settings: OnlineSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                blobs,
                clock,
                settings,
            }),
        }
    }
}
