//! ESX online depots (`com.vmware.esx.settings.depots.online`): depots that depotd
//! syncs from a URL, and what the last sync of each brought.

use crate::declare::uuid_id;
use crate::{Sha256Digest, Timestamp, UserName};

uuid_id!(
    /// An online depot's id: a random UUID.
    OnlineDepotId,
    "online depot"
);

/// An online depot as the user set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineDepot {
    /// Its id.
    pub id: OnlineDepotId,
    /// The description (empty when none was given).
    pub description: String,
    /// The URL of its index document (`.../index.xml`), as given (checked by the service).
    pub location: String,
    /// Whether depot syncs include it.
    pub enabled: bool,
    /// Who created it.
    pub owner: Option<UserName>,
    /// The creating solution's opaque data.
    pub ownerdata: Option<String>,
    /// When it was created.
    pub created: Timestamp,
}

impl OnlineDepot {
    /// The blob-reference owner that keeps this depot's VIB payloads.
    pub fn blob_owner(&self) -> String {
        blob_owner(self.id)
    }
}

/// The blob-reference owner of the online depot `id`: `online-depot:<id>`.
pub fn blob_owner(id: OnlineDepotId) -> String {
    format!("online-depot:{id}")
}

/// What a successful sync of an online depot brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineDepotContent {
    /// The `content` view of its metadata, as JSON (opaque to the store).
    pub content: String,
    /// The digest of its metadata (the ESX depot identity).
    pub identity: Sha256Digest,
    /// When the sync finished.
    pub synced: Timestamp,
    /// Every VIB payload it references, by path below the depot root.
    pub payloads: Vec<OnlinePayloadBlob>,
}

/// A VIB payload an online depot holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OnlinePayloadBlob {
    /// Its path below the depot root.
    pub path: String,
    /// Its blob.
    pub digest: Sha256Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// The state of an online depot's content: the last good sync (if any) and how the
/// last attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnlineDepotState {
    /// The content of the last successful sync.
    pub content: Option<OnlineDepotContent>,
    /// When the last sync attempt ended and, when it failed, why.
    pub last_attempt: Option<(Timestamp, Option<String>)>,
}
