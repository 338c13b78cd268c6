//! Storage backings: what a client may send and how it maps onto depotd's one blob
//! store.

use depot_model::StorageBacking;

use crate::LibraryError;

/// The datastore id under which depotd reports its blob store (`DATASTORE` backings
/// name it).
pub const DEPOT_DATASTORE_ID: &str = "datastore-depot";

/// The URI scheme an `OTHER` backing's `storage_uri` must have to name depotd's blob
/// store (`depotd:blobs`, or any other `depotd:` URI).
pub const DEPOT_STORAGE_SCHEME: &str = "depotd:";

/// A storage backing as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackingSpec {
    /// `DATASTORE`, with its `datastore_id`.
    Datastore(Option<String>),
    /// `OTHER`, with its `storage_uri`.
    Other(Option<String>),
}

/// What depotd accepts, said in every refusal.
fn accepted() -> String {
    format!(
        "storage_backings must be empty, one OTHER backing whose storage_uri starts with \
         {DEPOT_STORAGE_SCHEME} (e.g. {DEPOT_STORAGE_SCHEME}blobs), or one DATASTORE backing \
         with datastore_id {DEPOT_DATASTORE_ID}"
    )
}

/// Maps the backings a client sent onto the stored form; refuses what depotd cannot
/// honour.
pub fn storage_from(specs: &[BackingSpec]) -> Result<StorageBacking, LibraryError> {
    match specs {
        [] => Ok(StorageBacking::None),
        [BackingSpec::Datastore(Some(id))] if id == DEPOT_DATASTORE_ID => {
            Ok(StorageBacking::Datastore {
                datastore_id: id.clone(),
            })
        }
        [BackingSpec::Other(Some(uri))] if uri.starts_with(DEPOT_STORAGE_SCHEME) => {
            Ok(StorageBacking::Other {
                storage_uri: uri.clone(),
            })
        }
        [BackingSpec::Datastore(id)] => Err(LibraryError::Invalid(format!(
            "datastore {} is not depotd's store: {}",
            id.as_deref().unwrap_or("(none)"),
            accepted()
        ))),
        [BackingSpec::Other(uri)] => Err(LibraryError::Invalid(format!(
            "storage_uri {} does not name depotd's store: {}",
            uri.as_deref().unwrap_or("(none)"),
            accepted()
        ))),
        _ => Err(LibraryError::Invalid(format!(
            "{} storage backings given: {}",
            specs.len(),
            accepted()
        ))),
    }
}

/// Whether the stored backing matches a backing given in a find.
pub fn matches(stored: &StorageBacking, spec: &BackingSpec) -> bool {
    match (stored, spec) {
        (StorageBacking::Datastore { datastore_id }, BackingSpec::Datastore(id)) => {
            id.as_ref().is_none_or(|id| id == datastore_id)
        }
        (StorageBacking::Other { storage_uri }, BackingSpec::Other(uri)) => {
            uri.as_ref().is_none_or(|uri| uri == storage_uri)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_depot_store_only() {
        assert_eq!(storage_from(&[]).unwrap(), StorageBacking::None);
        assert!(matches!(
            storage_from(&[BackingSpec::Other(Some("depotd:blobs".into()))]),
            Ok(StorageBacking::Other { .. })
        ));
        assert!(matches!(
            storage_from(&[BackingSpec::Datastore(Some(DEPOT_DATASTORE_ID.into()))]),
            Ok(StorageBacking::Datastore { .. })
        ));
        let e = storage_from(&[BackingSpec::Other(Some("nfs://x/y".into()))]).unwrap_err();
        assert!(e.to_string().contains("depotd:"), "{e}");
        assert!(storage_from(&[BackingSpec::Datastore(Some("datastore-12".into()))]).is_err());
        assert!(
            storage_from(&[
                BackingSpec::Other(Some("depotd:a".into())),
                BackingSpec::Other(Some("depotd:b".into()))
            ])
            .is_err()
        );
    }
}
