//! `com.vmware.content.library.item_model`, item files and their storage.

use crate::vapi::typed::DateTime;

use super::library::StorageBacking;

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.certificate_verification_info")]
    /// Certificate verification of a signed item (depotd's are not signed).
    pub struct CertificateVerificationInfo {
        /// `NOT_AVAILABLE`, `VERIFIED`, ….
        pub status: String,
        /// The certificate chain.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cert_chain: Option<Vec<String>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item_model")]
    /// A library item, as read, created, updated and copied.
    #[derive(Default)]
    pub struct ItemModel {
        /// Its id (read only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The library holding it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub library_id: Option<String>,
        /// Bumps when its content changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub content_version: Option<String>,
        /// When it was created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub creation_time: Option<DateTime>,
        /// Free text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// When it last changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_modified_time: Option<DateTime>,
        /// When it last synced (subscribed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_sync_time: Option<DateTime>,
        /// Bumps when its metadata changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata_version: Option<String>,
        /// Unique in its library.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Whether all its content is here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cached: Option<bool>,
        /// The sum of its files' sizes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub size: Option<u64>,
        /// `ovf`, `iso`, ….
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub r#type: Option<String>,
        /// Its change version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub version: Option<String>,
        /// The publisher's item (subscribed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_id: Option<String>,
        /// Security compliance (not evaluated by depotd).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub security_compliance: Option<bool>,
        /// Certificate verification.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub certificate_verification_info: Option<CertificateVerificationInfo>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.find_spec")]
    /// Which items a find returns.
    #[derive(Default)]
    pub struct FindSpec {
        /// Exactly this name.
        #[serde(default)]
        pub name: Option<String>,
        /// Only in this library.
        #[serde(default)]
        pub library_id: Option<String>,
        /// Only with this publisher item.
        #[serde(default)]
        pub source_id: Option<String>,
        /// Only of this type.
        #[serde(default)]
        pub r#type: Option<String>,
        /// Only cached (or not cached) items.
        #[serde(default)]
        pub cached: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.destination_spec")]
    /// A subscription to publish to.
    pub struct DestinationSpec {
        /// The subscription id.
        pub subscription: String,
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.file.checksum_algorithm")]
    /// A checksum algorithm.
    pub enum ChecksumAlgorithm {
        /// SHA-256, which depotd computes for every file.
        Sha256 = "SHA256",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.file.checksum_info")]
    /// A file's checksum.
    pub struct ChecksumInfo {
        /// The algorithm.
        pub algorithm: Option<ChecksumAlgorithm>,
        /// The checksum, hex.
        pub checksum: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.file.info")]
    /// A file of an item.
    pub struct FileInfo {
        /// Its checksum, when cached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub checksum_info: Option<ChecksumInfo>,
        /// Unique in the item.
        pub name: String,
        /// In bytes.
        pub size: u64,
        /// Whether its content is here.
        pub cached: bool,
        /// The item content version when it last changed.
        pub version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.storage.info")]
    /// Where a file of an item is stored.
    pub struct StorageInfo {
        /// The library's storage backing.
        pub storage_backing: StorageBacking,
        /// URIs naming the content (`depotd:blobs/sha256/<hex>`).
        pub storage_uris: Vec<String>,
        /// Its checksum, when cached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub checksum_info: Option<ChecksumInfo>,
        /// The file name.
        pub name: String,
        /// In bytes.
        pub size: u64,
        /// Whether its content is here.
        pub cached: bool,
        /// The item content version when it last changed.
        pub version: String,
    }
}
