#![doc = include_str!("../README.md")]

mod config;
mod error;
mod job;
mod manifest;
mod releases;
mod schedule;
mod service;
mod settings;
mod shared;

pub use config::{SyncConfig, SyncPaths};
pub use depot_upstream::Secret;
pub use error::SyncError;
pub use job::{CONCURRENCY_KEY, DepotSync, NAME as JOB_NAME};
pub use manifest::{BomEntry, ManifestError, Release, ReleaseManifest, parse_manifest};
pub use releases::{ComponentVersions, ReleaseVersion, release_versions};
pub use schedule::{Schedule, run_due, run_schedule};
pub use service::{DepotService, SYSTEM_USER, SyncInfo, SyncState};
pub use settings::{
    AccountInput, AccountView, ConfigurationInput, ConfigurationView, DEFAULT_ONLINE_URL,
    DepotType, SettingsInput, SettingsView,
};
pub use shared::SyncParts;
