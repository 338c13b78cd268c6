//! The conformance suite of the metadata stores: every test in the `conformance!`
//! lists runs once on SQLite (a fresh temp file) and once on PostgreSQL (a fresh schema
//! in the database named by `DEPOTD_TEST_POSTGRES_URL`; skipped when that is unset,
//! unless `DEPOTD_REQUIRE_POSTGRES=1`).

mod backends;
mod blob_refs;
mod catalogs;
mod connect;
mod depot;
mod digest_locks;
mod download_sessions;
mod fixtures;
mod hot_reads;
mod libraries;
mod library_fixtures;
mod library_items;
mod offline_depots;
mod online_depots;
mod replicas;
mod sessions;
mod synced_items;
mod task_claims;
mod task_list;
mod tasks;
mod update_session_complete;
mod update_sessions;
mod uploads;
mod users;
