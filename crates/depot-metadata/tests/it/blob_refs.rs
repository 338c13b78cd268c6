//! Blob references.

use depot_model::Sha256Digest;

use crate::backends::{Store, conformance};

conformance! {
    blob_refs_track_owners => sqlite_blob_refs_track_owners, postgres_blob_refs_track_owners;
}

async fn blob_refs_track_owners(store: Store) {
    let (a, b) = (
        Sha256Digest::from_bytes([0xaa; 32]),
        Sha256Digest::from_bytes([0xbb; 32]),
    );
    assert!(store.blob_references().await.unwrap().is_empty());
    store.add_blob_ref(&a, "catalog:1").await.unwrap();
    store.add_blob_ref(&a, "catalog:1").await.unwrap();
    store.add_blob_ref(&a, "catalog:2").await.unwrap();
    store.add_blob_ref(&b, "catalog:2").await.unwrap();
    assert_eq!(store.blob_references().await.unwrap(), vec![a, b]);
    assert_eq!(store.remove_blob_refs("catalog:2").await.unwrap(), 2);
    assert_eq!(store.blob_references().await.unwrap(), vec![a]);
    assert_eq!(store.remove_blob_refs("catalog:2").await.unwrap(), 0);
    assert_eq!(store.remove_blob_refs("catalog:1").await.unwrap(), 1);
    assert!(store.blob_references().await.unwrap().is_empty());
}
