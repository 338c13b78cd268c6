#![doc = include_str!("../README.md")]

mod archive;
mod content;
mod document;
mod documents;
mod entry_name;
mod error;
#[cfg(feature = "fixture")]
pub mod fixture;
mod formats;
mod import;
mod limits;
mod metadata;
mod model;
mod online;
mod online_index;
mod parse;

pub use crate::content::{
    AddonSummary, BaseImageVersion, ComponentSummary, DepotContent, HardwareSupportManagerSummary,
    HardwareSupportPackageSummary, HardwareSupportPackageVersion, MetadataInfo,
    SolutionComponentSummary, SolutionSummary, UpdateSummary, VersionSummary, VibInfo,
};
pub use crate::documents::DepotDocuments;
pub use crate::entry_name::EntryName;
pub use crate::error::EsxError;
pub use crate::import::{
    ImportProgress, ImportedDepot, StagedDocument, StagedPayloads, import_bundle,
};
pub use crate::limits::Limits;
pub use crate::model::{
    AcceptanceLevel, Addon, BaseImage, Bulletin, DeclaredChecksum, DepotIdentity, EsxDepot,
    HardwareSupport, MetadataBundle, NameSpec, Solution, Vendor, VersionSpec, Vib,
};
pub use crate::online::{OnlinePayload, online_payloads, read_online_depot, set_payload_digests};
pub use crate::online_index::{IndexedVendor, index_vendors, online_index_xml};
pub use crate::parse::{DiscardPayloads, PayloadSink, parse_bundle};
