//! The depotd binary.

use clap::Parser;
use depotd::cli::{Cli, Command};
use depotd::config::LogFormat;

/// mimalloc: small allocations from many threads are the bulk of a request's work
/// (glibc's malloc took ~40 % of the CPU of a 1,000-item list).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Everything depotd writes (database, keys, blobs) is for its owner only.
    depotd::data_dir::restrict_new_files();
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
    let config = cli.command.load_config()?;
    depotd::logging::init(&config.log.level, config.log.format == LogFormat::Json);
    match cli.command {
        Command::Serve(_) => depotd::cli::serve::run(config).await,
        Command::User(args) => depotd::cli::user::run(&config, args.command).await,
        Command::Catalog(args) => depotd::cli::catalog::run(&config, args.command).await,
        Command::Blobs(args) => depotd::cli::blobs::run(&config, args.command).await,
    }
}
