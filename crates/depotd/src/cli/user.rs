//! `depotd user add|passwd|list|rm|role`.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use depot_auth::{AuthService, AuthSettings, Secret};
use depot_model::Role;

use crate::config::{Config, ConfigFlags};

/// Environment variable a password may be given in instead of standard input.
pub const PASSWORD_ENV: &str = "DEPOTD_USER_PASSWORD";

/// `depotd user`: the database flags and a subcommand.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Where the users are.
    #[command(flatten)]
    pub config: ConfigFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// User management subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from DEPOTD_USER_PASSWORD or standard input.
    Add {
        /// User name, e.g. alice@vsphere.local.
        name: String,
        /// Admin, Operator or ReadOnly.
        #[arg(long, default_value = "ReadOnly")]
        role: Role,
    },
    /// Set a user's password (from DEPOTD_USER_PASSWORD or standard input).
    Passwd {
        /// User name.
        name: String,
    },
    /// Change a user's role.
    Role {
        /// User name.
        name: String,
        /// Admin, Operator or ReadOnly.
        role: Role,
    },
    /// List users and their roles.
    List,
    /// Remove a user and end their sessions.
    Rm {
        /// User name.
        name: String,
    },
}

/// Runs a user subcommand against the configured database.
pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let store = super::open_store(config).await?;
    let auth = AuthService::new(Arc::clone(&store), AuthSettings::default());
    match command {
        UserCommand::Add { name, role } => {
            auth.add_user(&name, role, read_password()?).await?;
            println!("added {name} ({role})");
        }
        UserCommand::Passwd { name } => {
            auth.set_password(&name, read_password()?).await?;
            println!("password of {name} changed");
        }
        UserCommand::Role { name, role } => {
            auth.set_role(&name, role).await?;
            println!("{name} is now {role}");
        }
        UserCommand::List => {
            for u in auth.list_users().await? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    u.role,
                    depot_http::wire_time::format(u.created)
                );
            }
        }
        UserCommand::Rm { name } => {
            auth.remove_user(&name).await?;
            println!("removed {name}");
        }
    }
    Ok(())
}

fn read_password() -> anyhow::Result<Secret> {
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(Secret::new(p));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: set {PASSWORD_ENV} or write it to standard input");
    }
    Ok(Secret::new(password))
}
