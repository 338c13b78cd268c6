#![doc = include_str!("../README.md")]

mod error;
mod meta;
mod preconditions;
mod range;
mod serve;

pub use crate::error::FileError;
pub use crate::meta::{FileMeta, FileSource};
pub use crate::serve::serve;
