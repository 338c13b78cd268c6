//! Handlers, one file per resource.

pub mod depot_metadata;
pub mod health;
pub mod release_versions;
pub mod tasks;
