//! depotd's integration tests: the real router in-process over SQLite and the local
//! blob store, and the real binary for start-up, locking, signals and crashes.

mod api_errors;
mod auth_limits;
mod catalogs;
mod cli_flags;
mod commit_fence;
mod config_file;
mod connection_limits;
mod content_libraries;
mod database_lock;
mod datastore;
mod depot_sync;
mod download_sessions;
mod downstream;
mod esx_served;
#[path = "../../../depot-blobs/tests/it/fault_proxy.rs"]
mod fault_proxy;
mod jsonrpc;
mod legacy_rest;
mod library_chains;
mod library_items;
mod lingering;
mod offline_bad_input;
mod offline_depots;
mod offline_import_tasks;
mod online_depots;
mod ops;
/// The PostgreSQL helpers of the task engine's replica tests, shared.
#[path = "../../../depot-tasks/tests/it/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;
mod pki;
mod process;
mod protocol_edges;
mod replica_cluster;
mod replicas;
mod s3_blobs;
mod s3_crash;
mod s3_faults;
mod s3_faults_vsphere;
mod scale_out;
mod sessions;
mod subscribed_libraries;
mod support;
mod task_operations;
mod tasks_api;
mod update_sessions;
mod upload_connections;
mod vcsp;
mod vsphere_context;
mod vum_upload;
