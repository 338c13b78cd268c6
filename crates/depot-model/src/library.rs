//! Content libraries (vSphere Content Library): local libraries, which depotd holds
//! and may publish over VCSP, and subscribed libraries, which mirror a publisher.

use serde::{Deserialize, Serialize};

use crate::declare::{named_enum, uuid_id};
use crate::{SealedSecret, Timestamp};

uuid_id!(
    /// A content library id: a UUID, shown hyphenated and lower-case.
    LibraryId,
    "library"
);

named_enum!(
    /// Whether depotd holds the library's content or mirrors a publisher's.
    LibraryKind {
        /// Items are created and uploaded here.
        Local => "LOCAL",
        /// Items come from a publisher's VCSP `lib.json`.
        Subscribed => "SUBSCRIBED",
    }
);

named_enum!(
    /// How VCSP requests are authenticated, on either side.
    LibraryAuth {
        /// No credentials.
        None => "NONE",
        /// HTTP Basic.
        Basic => "BASIC",
    }
);

/// Where a library's content is kept, as the client said it. depotd has one blob store
/// whatever the client sends; the backing is kept so that reads return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageBacking {
    /// The client sent no backing.
    None,
    /// `OTHER` with the URI the client gave.
    Other {
        /// The `storage_uri`.
        storage_uri: String,
    },
    /// `DATASTORE` with the datastore id under which depotd reports its store.
    Datastore {
        /// The `datastore_id`.
        datastore_id: String,
    },
}

/// How a local library is published over VCSP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishSettings {
    /// Whether the library is served at its publish URL.
    pub published: bool,
    /// How subscribers authenticate.
    pub authentication: LibraryAuth,
    /// The Basic user name (vCenter allows only `vcsp`).
    pub user_name: Option<String>,
    /// The Basic password, sealed by the service.
    pub password: Option<SealedSecret>,
    /// Whether the VCSP JSON files are also written to the storage backing.
    pub persist_json_enabled: bool,
}

/// Where and how a subscribed library syncs from its publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionSettings {
    /// The publisher's `lib.json` URL.
    pub url: String,
    /// How depotd authenticates to the publisher.
    pub authentication: LibraryAuth,
    /// The Basic user name.
    pub user_name: Option<String>,
    /// The Basic password, sealed by the service.
    pub password: Option<SealedSecret>,
    /// Whether depotd syncs on a schedule.
    pub automatic_sync_enabled: bool,
    /// Whether only metadata is synced, file content when asked for.
    pub on_demand: bool,
    /// The expected SHA-1 thumbprint of the publisher's certificate (`AA:BB:…`).
    pub ssl_thumbprint: Option<String>,
    /// The publisher's certificate, PEM.
    pub ssl_certificate: Option<String>,
}

/// A content library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// Unique id.
    pub id: LibraryId,
    /// Unique name among libraries.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Local or subscribed; never changes.
    pub kind: LibraryKind,
    /// The storage backing the client sent.
    pub storage: StorageBacking,
    /// Publishing, for a local library.
    pub publish: Option<PublishSettings>,
    /// The publisher, for a subscribed library.
    pub subscription: Option<SubscriptionSettings>,
    /// Bumps on every change of the library or of its items (compare-and-set key,
    /// `ConcurrentChange`, VCSP `version`).
    pub version: i64,
    /// Bumps when any item's content or the set of items changes (VCSP
    /// `contentVersion`).
    pub content_version: i64,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When its metadata last changed.
    pub last_modified_time: Timestamp,
    /// When a subscribed library last synced.
    pub last_sync_time: Option<Timestamp>,
    /// The publisher's `lib.json` `version` at the last complete sync of a subscribed
    /// library (a sync stops early while it has not grown).
    pub source_version: Option<String>,
}

impl Library {
    /// A new library at version 1 with no storage backing, publishing or subscription.
    pub fn new(name: impl Into<String>, kind: LibraryKind, now: Timestamp) -> Self {
        Self {
            id: LibraryId::new(),
            name: name.into(),
            description: None,
            kind,
            storage: StorageBacking::None,
            publish: None,
            subscription: None,
            version: 1,
            content_version: 1,
            creation_time: now,
            last_modified_time: now,
            last_sync_time: None,
            source_version: None,
        }
    }
}
