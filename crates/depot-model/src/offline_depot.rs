//! ESX offline depots (`com.vmware.esx.settings.depots.offline`): imported offline
//! bundles, as recorded. The parsed model and its `content` view live in `depot-esx`;
//! here is what the store keeps of an imported depot.

use crate::declare::uuid_id;
use crate::{FileId, Sha256Digest, Timestamp, UserName};

uuid_id!(
    /// An offline depot's id: a random UUID, shown hyphenated and lower-case.
    OfflineDepotId,
    "offline depot"
);

/// Where an offline depot's bundle came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineDepotSource {
    /// Downloaded by the server from `location` (`PULL`).
    Pull {
        /// The URL it was downloaded from (`https:`, `http:` or `file:`).
        location: String,
    },
    /// Uploaded to `/vum-fileupload` and imported by its `file_id` (`PUSH`).
    Push {
        /// The uploaded file.
        file_id: FileId,
    },
}

/// One file of an imported depot, at its path in the bundle (`index.xml`,
/// `vendor-index.xml`, `metadata.zip`, `vib20/…/x.vib`): its content is a blob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OfflineDepotFile {
    /// The path in the bundle (a checked, relative entry name).
    pub path: String,
    /// The content's SHA-256 (the blob's name).
    pub digest: Sha256Digest,
    /// The content's size in bytes.
    pub size: u64,
}

/// An imported offline depot's record (its `content` view and its files are stored
/// with it and read separately: a list or get needs neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineDepot {
    /// Its id.
    pub id: OfflineDepotId,
    /// The digest of its metadata content (`depot_esx::DepotIdentity`): a second import
    /// of the same content is refused.
    pub identity: Sha256Digest,
    /// The SHA-256 of the bundle file it was imported from.
    pub source_digest: Sha256Digest,
    /// The description given at create (empty when none was).
    pub description: String,
    /// Where the bundle came from.
    pub source: OfflineDepotSource,
    /// Opaque data of the solution that owns it.
    pub ownerdata: Option<String>,
    /// Who created it.
    pub owner: UserName,
    /// When it was created.
    pub create_time: Timestamp,
}

impl OfflineDepot {
    /// The blob-reference owner that keeps this depot's files.
    pub fn blob_owner(&self) -> String {
        blob_owner(self.id)
    }
}

/// The blob-reference owner of offline depot `id`: `offline-depot:<id>`.
pub fn blob_owner(id: OfflineDepotId) -> String {
    format!("offline-depot:{id}")
}
