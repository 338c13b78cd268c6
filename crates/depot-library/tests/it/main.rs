//! The content-library service over the real stores: every test runs once on SQLite
//! (a fresh temp file) and once on PostgreSQL (a fresh schema in the database named by
//! `DEPOTD_TEST_POSTGRES_URL`; skipped when that is unset, unless
//! `DEPOTD_REQUIRE_POSTGRES=1`).

mod backends;
mod items;
mod libraries;
mod on_demand;
mod subscriptions;
mod sync_faults;
mod uploads;
mod vcsp_tree;
