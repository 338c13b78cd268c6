#![doc = include_str!("../README.md")]

mod error;
mod expiry;
mod receive;
mod take;

use std::sync::Arc;
use std::time::Duration;

use depot_blobs::BlobStore;
use depot_metadata::MetadataStore;
use depot_model::{Clock, Timestamp};

pub use error::UploadError;
pub use receive::Incoming;

/// How uploads are kept and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// How long an uploaded file waits for an import before it is removed.
    pub ttl: Duration,
    /// The largest upload taken, in bytes.
    pub max_bytes: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_hours(24),
            max_bytes: 16 << 30,
        }
    }
}

/// The uploaded-files service.
#[derive(Clone)]
pub struct Uploads {
    store: Arc<dyn MetadataStore>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    settings: UploadSettings,
}

impl Uploads {
    /// The service over the server's stores and clock.
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        settings: UploadSettings,
    ) -> Self {
        Self {
            store,
            blobs,
            clock,
            settings,
        }
    }

    /// The settings in effect.
    pub fn settings(&self) -> UploadSettings {
        self.settings
    }

    /// The current time, from the injected clock.
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// When a file touched now expires.
    fn expiry(&self) -> Timestamp {
        self.now()
            + chrono::TimeDelta::from_std(self.settings.ttl).unwrap_or(chrono::TimeDelta::MAX)
    }
}
