#![doc = include_str!("../README.md")]

mod error;
mod merge;
mod model;
mod parse;
mod path;
mod replace;
pub mod signature;
#[cfg(feature = "testkit")]
pub mod testkit;
mod values;

pub use crate::error::CatalogError;
pub use crate::merge::{EntryRef, MergeReport, merge_into};
pub use crate::model::{Bundle, KeyValue, Metadata, Patch, ProductBinary, ProductVersionCatalog};
pub use crate::parse::parse_catalog;
pub use crate::path::JsonPath;
pub use crate::replace::{CatalogRevision, ReplaceDecision, decide_replace};
pub use crate::signature::{TrustStore, VerifiedSignature, sign_catalog, verify_signature};
pub use crate::values::{BundleType, CatalogTime, FileName, ProductType, ProductVersion};
