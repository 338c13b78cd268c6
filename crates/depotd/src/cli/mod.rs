//! The command line: one file per subcommand.

pub mod blobs;
pub mod catalog;
pub mod serve;
pub mod user;

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use depot_metadata::MetadataStore;

use crate::app::redact;
use crate::config::Config;

use crate::config::ConfigFlags;

/// depotd: a self-hosted lifecycle depot for VMware Cloud Foundation and vSphere.
#[derive(Debug, Parser)]
#[command(name = "depotd", version, about)]
pub struct Cli {
    /// Configuration (each flag also has a DEPOTD_* environment variable).
    #[command(flatten)]
    pub config: ConfigFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Manage users (works against the same database as the server).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Product version catalogs: sign, verify, history.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Blob store maintenance.
    #[command(subcommand)]
    Blobs(blobs::BlobsCommand),
}

/// Opens the configured database for a CLI command (creating the data dir for the
/// embedded SQLite default).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn MetadataStore>> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    }
    depot_metadata::connect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))
}
