//! Online depots: create, list, update, delete; sync content and payload blob references.

use depot_model::{
    OnlineDepot, OnlineDepotContent, OnlineDepotId, OnlinePayloadBlob, Sha256Digest, UserName,
};

use crate::backends::{Store, conformance};

conformance! {
    online_depots_are_created_listed_updated_and_deleted =>
        sqlite_online_depots_are_created_listed_updated_and_deleted,
        postgres_online_depots_are_created_listed_updated_and_deleted;
    online_syncs_keep_their_payloads_referenced =>
        sqlite_online_syncs_keep_their_payloads_referenced,
        postgres_online_syncs_keep_their_payloads_referenced;
}

fn at(ms: i64) -> depot_model::Timestamp {
    chrono::DateTime::from_timestamp_millis(1_750_000_000_000 + ms).unwrap()
}

fn depot(location: &str, ms: i64) -> OnlineDepot {
    OnlineDepot {
        id: OnlineDepotId::new(),
        description: "ESXi".to_owned(),
        location: location.to_owned(),
        enabled: true,
        owner: Some(UserName::parse("administrator@vsphere.local").unwrap()),
        ownerdata: None,
        created: at(ms),
    }
}

async fn online_depots_are_created_listed_updated_and_deleted(store: Store) {
    let a = depot("https://a.example/index.xml", 0);
    let mut b = depot("https://b.example/vmw-depot-index.xml", 1);
    b.owner = None;
    b.ownerdata = Some("solution data".to_owned());
    store.insert_online_depot(&a).await.unwrap();
    store.insert_online_depot(&b).await.unwrap();
    let twin = depot("https://a.example/index.xml", 2);
    let err = store.insert_online_depot(&twin).await.unwrap_err();
    assert!(
        matches!(err, depot_metadata::MetadataError::AlreadyExists { .. }),
        "{err}"
    );
    assert_eq!(
        store.list_online_depots().await.unwrap(),
        [a.clone(), b.clone()]
    );
    assert_eq!(store.get_online_depot(b.id).await.unwrap(), Some(b.clone()));

    assert!(
        store
            .update_online_depot(a.id, Some(false), None)
            .await
            .unwrap()
    );
    assert!(
        store
            .update_online_depot(a.id, None, Some("new"))
            .await
            .unwrap()
    );
    let updated = store.get_online_depot(a.id).await.unwrap().unwrap();
    assert_eq!(
        (updated.enabled, updated.description.as_str()),
        (false, "new")
    );
    assert!(
        !store
            .update_online_depot(OnlineDepotId::new(), Some(true), None)
            .await
            .unwrap()
    );

    assert!(store.delete_online_depot(a.id).await.unwrap());
    assert!(!store.delete_online_depot(a.id).await.unwrap());
    assert_eq!(store.get_online_depot(a.id).await.unwrap(), None);
    assert_eq!(store.online_depot_state(a.id).await.unwrap(), None);
    // Its location is free again.
    store
        .insert_online_depot(&depot("https://a.example/index.xml", 3))
        .await
        .unwrap();
}

fn payload(path: &str, byte: u8) -> OnlinePayloadBlob {
    OnlinePayloadBlob {
        path: path.to_owned(),
        digest: Sha256Digest::from_bytes([byte; 32]),
        size: u64::from(byte) * 1000,
    }
}

fn content(payloads: Vec<OnlinePayloadBlob>, ms: i64) -> OnlineDepotContent {
    OnlineDepotContent {
        content: r#"{"metadata_bundles":{}}"#.to_owned(),
        identity: Sha256Digest::from_bytes([ms.to_le_bytes()[0]; 32]),
        synced: at(ms),
        payloads,
    }
}

async fn online_syncs_keep_their_payloads_referenced(store: Store) {
    let d = depot("https://a.example/index.xml", 0);
    store.insert_online_depot(&d).await.unwrap();
    let fresh = store.online_depot_state(d.id).await.unwrap().unwrap();
    assert_eq!((fresh.content, fresh.last_attempt), (None, None));

    let first = content(
        vec![payload("vib20/a.vib", 1), payload("vib20/b.vib", 2)],
        10,
    );
    assert!(store.record_online_sync(d.id, &first, false).await.unwrap());
    let state = store.online_depot_state(d.id).await.unwrap().unwrap();
    assert_eq!(state.content.as_ref(), Some(&first));
    assert_eq!(state.last_attempt, Some((at(10), None)));
    let refs = store.blob_references().await.unwrap();
    assert_eq!(refs, [payload("", 1).digest, payload("", 2).digest]);

    // A failure keeps the content.
    assert!(
        store
            .record_online_sync_failure(d.id, at(20), "index.xml: 404")
            .await
            .unwrap()
    );
    let state = store.online_depot_state(d.id).await.unwrap().unwrap();
    assert_eq!(state.content.as_ref(), Some(&first));
    assert_eq!(
        state.last_attempt,
        Some((at(20), Some("index.xml: 404".to_owned())))
    );

    // Without cleanup, payloads no longer named stay; with it, they go.
    let second = content(
        vec![payload("vib20/b.vib", 2), payload("vib20/c.vib", 3)],
        30,
    );
    assert!(
        store
            .record_online_sync(d.id, &second, false)
            .await
            .unwrap()
    );
    let kept = store.online_depot_state(d.id).await.unwrap().unwrap();
    let paths: Vec<_> = kept
        .content
        .unwrap()
        .payloads
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(paths, ["vib20/a.vib", "vib20/b.vib", "vib20/c.vib"]);
    assert_eq!(store.blob_references().await.unwrap().len(), 3);
    assert!(store.record_online_sync(d.id, &second, true).await.unwrap());
    let state = store.online_depot_state(d.id).await.unwrap().unwrap();
    assert_eq!(state.content, Some(second.clone()));
    assert_eq!(
        store.blob_references().await.unwrap(),
        [payload("", 2).digest, payload("", 3).digest]
    );

    // Deleting drops the references; a sync of a deleted depot keeps nothing.
    assert!(store.delete_online_depot(d.id).await.unwrap());
    assert!(store.blob_references().await.unwrap().is_empty());
    assert!(
        !store
            .record_online_sync(d.id, &second, false)
            .await
            .unwrap()
    );
    assert!(store.blob_references().await.unwrap().is_empty());
}
