//! Between the service's library and item model and the wire DTOs.

use depot_http::Problem;
use depot_library::{BackingSpec, ContentLibrary, LibraryChange, PublishSpec, SubscriptionSpec};
use depot_model::{
    ItemFile, ItemId, Library, LibraryAuth, LibraryId, LibraryItem, LibraryKind, Secret,
    StorageBacking,
};

use crate::vapi::typed::{DateTime, SecretString};
use crate::wire::content::item::{ChecksumAlgorithm, ChecksumInfo, FileInfo, ItemModel};
use crate::wire::content::library::{
    AuthenticationMethod, BackingType, LibraryModel, LibraryType, PublishInfo, StateInfo,
    StorageBacking as WireBacking, SubscriptionInfo,
};

/// A library id from the wire; one that does not parse names no library.
pub fn library_id(raw: &str) -> Result<LibraryId, Problem> {
    raw.parse().map_err(|_| {
        depot_library::LibraryError::NotFound {
            what: "library",
            id: raw.to_owned(),
        }
        .into()
    })
}

/// An item id from the wire; one that does not parse names no item.
pub fn item_id(raw: &str) -> Result<ItemId, Problem> {
    raw.parse().map_err(|_| {
        depot_library::LibraryError::NotFound {
            what: "library item",
            id: raw.to_owned(),
        }
        .into()
    })
}

fn secret(s: Option<SecretString>) -> Option<Secret> {
    s.map(|s| Secret::new(s.0))
}

pub fn backing_spec(b: &WireBacking) -> BackingSpec {
    match b.r#type {
        Some(BackingType::Datastore) => BackingSpec::Datastore(b.datastore_id.clone()),
        _ => BackingSpec::Other(b.storage_uri.clone()),
    }
}

pub fn kind(t: LibraryType) -> LibraryKind {
    match t {
        LibraryType::Local => LibraryKind::Local,
        LibraryType::Subscribed => LibraryKind::Subscribed,
    }
}

pub fn publish_spec(p: PublishInfo) -> PublishSpec {
    PublishSpec {
        published: p.published,
        authentication: p.authentication_method.map(library_auth),
        user_name: p.user_name,
        password: secret(p.password),
        current_password: secret(p.current_password),
        persist_json_enabled: p.persist_json_enabled,
    }
}

fn library_auth(m: AuthenticationMethod) -> LibraryAuth {
    match m {
        AuthenticationMethod::Basic => LibraryAuth::Basic,
        AuthenticationMethod::None => LibraryAuth::None,
    }
}

pub fn subscription_spec(s: SubscriptionInfo) -> SubscriptionSpec {
    SubscriptionSpec {
        url: s.subscription_url,
        authentication: s.authentication_method.map(library_auth),
        user_name: s.user_name,
        password: secret(s.password),
        automatic_sync_enabled: s.automatic_sync_enabled,
        on_demand: s.on_demand,
        ssl_thumbprint: s.ssl_thumbprint,
        ssl_certificate: s.ssl_certificate,
    }
}

/// The change an update spec asks for.
pub fn change(spec: LibraryModel) -> LibraryChange {
    LibraryChange {
        name: spec.name,
        description: spec.description,
        storage: spec
            .storage_backings
            .map(|b| b.iter().map(backing_spec).collect()),
        publish: spec.publish_info.map(publish_spec),
        subscription: spec.subscription_info.map(subscription_spec),
        version: spec.version,
    }
}

fn auth(a: LibraryAuth) -> AuthenticationMethod {
    match a {
        LibraryAuth::Basic => AuthenticationMethod::Basic,
        LibraryAuth::None => AuthenticationMethod::None,
    }
}

fn wire_backing(b: &StorageBacking) -> Option<WireBacking> {
    match b {
        StorageBacking::None => None,
        StorageBacking::Other { storage_uri } => Some(WireBacking {
            r#type: Some(BackingType::Other),
            datastore_id: None,
            storage_uri: Some(storage_uri.clone()),
        }),
        StorageBacking::Datastore { datastore_id } => Some(WireBacking {
            r#type: Some(BackingType::Datastore),
            datastore_id: Some(datastore_id.clone()),
            storage_uri: None,
        }),
    }
}

/// The storage backing of a library as the item storage info shows it (an empty
/// `OTHER` one for a library created without backing).
pub fn item_backing(b: &StorageBacking) -> WireBacking {
    wire_backing(b).unwrap_or(WireBacking {
        r#type: Some(BackingType::Other),
        datastore_id: None,
        storage_uri: Some(format!("{}blobs", depot_library::DEPOT_STORAGE_SCHEME)),
    })
}

/// A library as read; the publish URL is under `base_url`. Passwords are never shown.
pub fn library_model(l: Library, base_url: &str) -> LibraryModel {
    let publish_info = l.publish.map(|p| PublishInfo {
        authentication_method: Some(auth(p.authentication)),
        published: Some(p.published),
        publish_url: p
            .published
            .then(|| ContentLibrary::publish_url(base_url, l.id)),
        user_name: p.user_name,
        password: None,
        current_password: None,
        persist_json_enabled: Some(p.persist_json_enabled),
    });
    let subscription_info = l.subscription.map(|s| SubscriptionInfo {
        authentication_method: Some(auth(s.authentication)),
        automatic_sync_enabled: Some(s.automatic_sync_enabled),
        on_demand: Some(s.on_demand),
        password: None,
        ssl_thumbprint: s.ssl_thumbprint,
        subscription_url: Some(s.url),
        user_name: s.user_name,
        source_info: None,
        ssl_certificate: s.ssl_certificate,
    });
    LibraryModel {
        id: Some(l.id.to_string()),
        creation_time: Some(DateTime(l.creation_time)),
        description: l.description,
        last_modified_time: Some(DateTime(l.last_modified_time)),
        last_sync_time: l.last_sync_time.map(DateTime),
        name: Some(l.name),
        storage_backings: Some(wire_backing(&l.storage).into_iter().collect()),
        r#type: Some(match l.kind {
            LibraryKind::Local => LibraryType::Local,
            LibraryKind::Subscribed => LibraryType::Subscribed,
        }),
        version: Some(l.version.to_string()),
        publish_info,
        subscription_info,
        state_info: Some(StateInfo {
            state: Some("ACTIVE".to_owned()),
            message: None,
        }),
        ..LibraryModel::default()
    }
}

/// An item as read.
pub fn item_model(i: LibraryItem) -> ItemModel {
    ItemModel {
        id: Some(i.id.to_string()),
        library_id: Some(i.library_id.to_string()),
        content_version: Some(i.content_version.to_string()),
        creation_time: Some(DateTime(i.creation_time)),
        description: i.description,
        last_modified_time: Some(DateTime(i.last_modified_time)),
        last_sync_time: i.last_sync_time.map(DateTime),
        metadata_version: Some(i.metadata_version.to_string()),
        name: Some(i.name),
        cached: Some(i.cached),
        size: Some(i.size),
        r#type: i.item_type,
        version: Some(i.version.to_string()),
        source_id: i.source_id,
        security_compliance: None,
        certificate_verification_info: None,
    }
}

/// The checksum of a cached file.
pub fn checksum(f: &ItemFile) -> Option<ChecksumInfo> {
    f.digest.map(|d| ChecksumInfo {
        algorithm: Some(ChecksumAlgorithm::Sha256),
        checksum: d.to_string(),
    })
}

/// A file as read.
pub fn file_info(f: ItemFile) -> FileInfo {
    FileInfo {
        checksum_info: checksum(&f),
        cached: f.cached(),
        size: f.size,
        version: f.version.to_string(),
        name: f.name,
    }
}
