//! `depotd blobs gc`: reclaim unreferenced blobs now.

use std::sync::Arc;

use clap::{Args, Subcommand};
use depot_metadata::InsertOutcome;
use depot_tasks::{EngineSettings, TaskEngine};

use crate::config::{Config, ConfigFlags};
use crate::jobs::BlobGc;

/// `depotd blobs`: the data-dir flags and a subcommand.
#[derive(Debug, Args)]
pub struct BlobsArgs {
    /// Where the blobs and their records are.
    #[command(flatten)]
    pub config: ConfigFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: BlobsCommand,
}

/// Blob store subcommands.
#[derive(Debug, Subcommand)]
pub enum BlobsCommand {
    /// Submit a garbage-collection task (a running server picks it up); with --now,
    /// run it here and wait (only while no server uses the data dir).
    Gc {
        /// Run the pass in this process and wait for it.
        #[arg(long)]
        now: bool,
    },
}

/// Runs a blobs subcommand; prints the task id.
pub async fn run(config: &Config, command: BlobsCommand) -> anyhow::Result<()> {
    let BlobsCommand::Gc { now } = command;
    let store = super::open_store(config).await?;
    if !now {
        let task = BlobGc::task("cli").into_task();
        let stored = match store.insert_task(&task).await? {
            InsertOutcome::Inserted => task,
            InsertOutcome::Existing(running) => *running,
        };
        println!("{}\t{}", stored.id, stored.status.as_str());
        return Ok(());
    }
    // Holding the data-dir lock makes sure no server writes local blobs meanwhile; in
    // a bucket other replicas may write: the grace period protects their writes, and
    // on PostgreSQL the commit fence their re-writes of existing blobs.
    let data_dir = crate::data_dir::DataDir::open(&config.data_dir)?;
    let blobs = crate::app::open_blobs(config, &data_dir, store.as_ref()).await?;
    let engine = TaskEngine::new(
        store.clone(),
        EngineSettings {
            node_id: data_dir.node_id().to_owned(),
            ..EngineSettings::default()
        },
        vec![Arc::new(BlobGc::new(store.clone(), blobs))],
    );
    let task = engine.submit(BlobGc::task("cli")).await?;
    engine.run_pending().await?;
    let task = engine.get(task.id).await?;
    println!(
        "{}\t{}\t{}",
        task.id,
        task.status.as_str(),
        task.result.unwrap_or_default()
    );
    Ok(())
}
