//! The depotd binary.

use clap::Parser;
use depotd::cli::{Cli, Command};
use depotd::config::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depotd: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config)?;
    depotd::logging::init(&config.log_level, config.log_json);
    match cli.command {
        Command::Serve => depotd::cli::serve::run(config).await,
        Command::User(cmd) => depotd::cli::user::run(&config, cmd).await,
        Command::Catalog(cmd) => depotd::cli::catalog::run(&config, cmd).await,
        Command::Blobs(cmd) => depotd::cli::blobs::run(&config, cmd).await,
    }
}
