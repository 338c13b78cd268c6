//! Handlers, one file per resource.

pub mod tokens;
