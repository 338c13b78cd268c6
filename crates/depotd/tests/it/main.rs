//! depotd's integration tests: the real router in-process over SQLite and the local
//! blob store, and the real binary for start-up, locking, signals and crashes.

mod api_errors;
mod auth_limits;
mod catalogs;
mod cli_flags;
mod config_file;
mod connection_limits;
mod database_lock;
mod datastore;
mod depot_sync;
mod downstream;
mod jsonrpc;
mod legacy_rest;
mod lingering;
mod ops;
mod pki;
mod process;
mod protocol_edges;
mod sessions;
mod support;
mod task_operations;
mod tasks_api;
