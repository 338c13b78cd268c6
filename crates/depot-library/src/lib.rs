#![doc = include_str!("../README.md")]

mod error;
pub mod item;
pub mod library;
pub mod subscription;
pub(crate) mod transfer;
pub mod vcsp;

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use depot_blobs::BlobStore;
use depot_metadata::MetadataStore;
use depot_model::{Clock, SealedSecret, Secret, Timestamp};
use depot_secrets::SecretBox;

pub use error::LibraryError;
pub use item::{CopySpec, FileStorage, ItemChange, NewItem, blob_uri};
pub use library::{
    BackingSpec, DEPOT_DATASTORE_ID, DEPOT_STORAGE_SCHEME, LibraryChange, LibraryQuery,
    MAX_NAME_LEN, NewLibrary, PUBLISH_PASSWORD_FIELD, PublishSpec, VCSP_USER,
};
pub use subscription::{
    ContentFetcher, FileFetch, ITEM_SYNC_JOB_KIND, ItemSyncJob, ItemSyncOutcome, ItemSyncRequest,
    LIBRARY_SYNC_JOB_KIND, LibrarySyncJob, LibrarySyncRequest, NewSubscribedLibrary, ProbeResult,
    ProbeStatus, Publisher, SUBSCRIPTION_PASSWORD_FIELD, SubscriptionSpec, SyncReport,
};
pub use transfer::{
    AddFile, ExpiryReport, MAX_FILE_BYTES, PROGRESS_EVERY, PULL_JOB_KIND, PullJob, PullRequest,
    Served, Upload, Validation,
};

/// The jobs of the content library: `library_pull`, `library_sync` and
/// `library_item_sync`.
pub fn jobs(library: &ContentLibrary) -> Vec<Arc<dyn depot_tasks::Job>> {
    vec![
        Arc::new(PullJob::new(library.clone())),
        Arc::new(LibrarySyncJob::new(library.clone())),
        Arc::new(ItemSyncJob::new(library.clone())),
    ]
}

/// Settings of the content-library service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryConfig {
    /// How long an update session lives without a keep-alive or a transfer.
    pub update_session_timeout: Duration,
    /// How long a download session lives without a keep-alive or a download.
    pub download_session_timeout: Duration,
    /// How often a subscribed library with `automatic_sync_enabled` syncs.
    pub sync_interval: Duration,
    /// Files of a sync downloaded at the same time.
    pub parallel_downloads: usize,
    /// The bandwidth all syncs share, in bytes per second (`None`: unlimited).
    pub download_bytes_per_second: Option<NonZeroU64>,
    /// The bandwidth of each sync, in bytes per second (`None`: unlimited).
    pub sync_download_bytes_per_second: Option<NonZeroU64>,
}

impl Default for LibraryConfig {
    fn default() -> Self {
        Self {
            update_session_timeout: Duration::from_mins(5),
            download_session_timeout: Duration::from_mins(5),
            sync_interval: Duration::from_hours(1),
            parallel_downloads: 4,
            download_bytes_per_second: None,
            sync_download_bytes_per_second: None,
        }
    }
}

/// The content-library service: libraries, items, and their update and download
/// sessions. Cheap to clone.
#[derive(Clone)]
pub struct ContentLibrary {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    sealer: Arc<SecretBox>,
    clock: Arc<dyn Clock>,
    config: LibraryConfig,
    /// The overall bandwidth limit every sync of this service shares.
    bandwidth: Option<Arc<depot_upstream::RateLimit>>,
    in_flight: subscription::on_demand::InFlight,
}

impl ContentLibrary {
    /// The service over its stores, the server's secret box and clock.
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        sealer: Arc<SecretBox>,
        clock: Arc<dyn Clock>,
        config: LibraryConfig,
    ) -> Self {
        let bandwidth = config
            .download_bytes_per_second
            .map(|limit| Arc::new(depot_upstream::RateLimit::new(limit)));
        Self {
            store,
            blobs,
            sealer,
            clock,
            config,
            bandwidth,
            in_flight: subscription::on_demand::InFlight::default(),
        }
    }

    /// The content fetches on first use in flight (shared by every clone).
    pub(crate) fn in_flight(&self) -> &subscription::on_demand::InFlight {
        &self.in_flight
    }

    /// The metadata store.
    pub fn store(&self) -> &Arc<dyn MetadataStore> {
        &self.store
    }

    /// The blob store holding the content.
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The settings.
    pub fn config(&self) -> &LibraryConfig {
        &self.config
    }

    /// The overall bandwidth limit every sync shares, if one is set.
    pub(crate) fn bandwidth(&self) -> Option<&Arc<depot_upstream::RateLimit>> {
        self.bandwidth.as_ref()
    }

    /// The current time, from the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Seals a password for the settings field `field` (the associated data: a value
    /// sealed for one field does not open as another).
    pub fn seal(&self, field: &str, secret: &Secret) -> Result<SealedSecret, LibraryError> {
        Ok(SealedSecret::new(self.sealer.seal(field, secret)?))
    }

    /// Opens a password sealed for `field`.
    pub fn open(&self, field: &str, sealed: &SealedSecret) -> Result<Secret, LibraryError> {
        Ok(self.sealer.open(field, sealed.sealed())?)
    }
}

impl std::fmt::Debug for ContentLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentLibrary")
            .field("backend", &self.store.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
