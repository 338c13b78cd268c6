#![doc = include_str!("../README.md")]

mod context;
mod engine;
mod error;
mod finished_cache;
mod job;
mod new_task;
mod outcome;
mod recovery;

pub use context::JobContext;
pub use engine::{EngineSettings, TaskEngine};
pub use error::{EngineError, JobError};
pub use job::Job;
pub use new_task::NewTask;
pub use recovery::RecoveryReport;
