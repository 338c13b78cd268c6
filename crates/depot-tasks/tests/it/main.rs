//! The task engine over a real SQLite store: submit, run, cancel, retry, shutdown,
//! recovery after a restart or a `kill -9`, and pruning. Each test uses a fresh
//! temporary database file.

mod cancel;
mod clock;
mod concurrency_key;
mod faults;
mod fixture;
mod job_flags;
mod jobs;
mod kill9;
mod lifecycle;
mod pg_cluster;
mod progress;
mod recovery;
mod replicas;
mod retry;
mod shutdown;
