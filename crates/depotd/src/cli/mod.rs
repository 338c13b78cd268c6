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
use crate::config::{Config, ServeFlags};

/// depotd: a self-hosted lifecycle depot for VMware Cloud Foundation and vSphere.
#[derive(Debug, Parser)]
#[command(name = "depotd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands, each with the configuration flags it uses (each flag also has a
/// DEPOTD_* environment variable).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeFlags>),
    /// Manage users (works against the same database as the server).
    User(user::UserArgs),
    /// Product version catalogs: sign, verify, history.
    Catalog(catalog::CatalogArgs),
    /// Blob store maintenance.
    Blobs(blobs::BlobsArgs),
}

impl Command {
    /// Loads the configuration from the file, variables and flags this command takes.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        match self {
            Command::Serve(flags) => Config::load(flags.common.config.as_deref(), flags),
            Command::User(args) => Config::load(args.config.config.as_deref(), &args.config),
            Command::Catalog(args) => args.load_config(),
            Command::Blobs(args) => Config::load(args.config.config.as_deref(), &args.config),
        }
    }
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
