//! Handlers, one file per service.

pub mod session;
pub mod tasks;
