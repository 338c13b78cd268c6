#![doc = include_str!("../README.md")]

mod accept;
mod current;
mod error;
mod import_path;
mod job;
mod service;
mod settings;

pub use accept::{
    AcceptError, Acceptance, Accepted, Acceptor, Candidate, CatalogFile, Offer, accept,
    check_replace, offer_replacement,
};
pub use current::{CurrentCache, Encoding, SharedCache, Validation};
pub use error::CatalogServiceError;
pub use import_path::ImportPath;
pub use job::{NAME as UPLOAD_JOB, PvcUpload};
pub use service::{CatalogService, UPLOAD_DESCRIPTION, UploadMode};
pub use settings::CatalogSettings;
