//! Depot sync against real upstream depots served on loopback.

mod acceptance;
mod faults;
mod harness;
mod retry;
mod schedule;
mod settings;
mod sync;
mod upstream;
