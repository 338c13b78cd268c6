#![doc = include_str!("../README.md")]

mod digest;
mod error;
mod filesystem;
mod store;

pub use crate::digest::Sha256Digest;
pub use crate::error::{BlobError, ErrorKind};
pub use crate::filesystem::FsBlobStore;
pub use crate::store::{BlobInfo, BlobReader, BlobStore, Expected, GcReport};
