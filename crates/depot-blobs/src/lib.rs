#![doc = include_str!("../README.md")]

mod error;
mod fence;
mod filesystem;
mod local_file;
mod object;
mod staged;
mod store;
mod verify;

pub use crate::error::{BlobError, ErrorKind};
pub use crate::fence::{CommitFence, FenceGuard};
pub use crate::filesystem::FsBlobStore;
pub use crate::object::metrics as object_store_metrics;
pub use crate::object::{AWS_COPY_LIMIT, S3BlobStore, S3Config, S3Credentials};
pub use crate::staged::StagedWrite;
pub use crate::store::{BlobInfo, BlobReader, BlobStore, Capacity, Expected, GcReport};
pub use crate::verify::{Checksum, ChecksumMismatch, InvalidChecksum, Progress, Verifying};
pub use depot_model::ChecksumAlgorithm;
/// The name of a blob; it lives in `depot-model`, shared with the records that name blobs.
pub use depot_model::Sha256Digest;
