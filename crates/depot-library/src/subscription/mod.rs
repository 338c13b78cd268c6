//! Subscribed libraries: created against a publisher's VCSP `lib.json` (checked
//! first), synced as tasks (whole libraries and single items, metadata and, on demand
//! or at once, content), and evicted.

mod content;
mod href;
mod item_sync;
mod jobs;
mod library_sync;
mod merge;
pub(crate) mod on_demand;
mod probe;
mod publisher;
pub mod remote;
mod schedule;
mod settings;

pub use content::{ContentFetcher, FileFetch};
pub use item_sync::ItemSyncOutcome;
pub use jobs::{
    ITEM_SYNC_JOB_KIND, ItemSyncJob, ItemSyncRequest, LIBRARY_SYNC_JOB_KIND, LibrarySyncJob,
    LibrarySyncRequest,
};
pub use library_sync::SyncReport;
pub use probe::{ProbeResult, ProbeStatus};
pub use publisher::Publisher;
pub use settings::{NewSubscribedLibrary, SUBSCRIPTION_PASSWORD_FIELD, SubscriptionSpec};
