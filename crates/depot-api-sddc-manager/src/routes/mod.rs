//! Handlers, one file per resource.

pub mod catalogs;
pub mod depot;
pub mod tokens;
