//! The command line: one file per subcommand.

pub mod serve;
pub mod user;

use clap::{Parser, Subcommand};

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
}
