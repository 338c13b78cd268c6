//! ESX offline depots: insert with files and blob references, one per identity, read
//! back, found by source digest, deleted with everything they hold.

use depot_metadata::OfflineDepotInsert;
use depot_model::{
    FileId, OfflineDepot, OfflineDepotFile, OfflineDepotId, OfflineDepotSource, Sha256Digest,
    UserName,
};

use crate::backends::{Store, conformance};

conformance! {
    offline_depots_round_trip_with_their_files =>
        sqlite_offline_depots_round_trip_with_their_files,
        postgres_offline_depots_round_trip_with_their_files;
    one_offline_depot_per_identity =>
        sqlite_one_offline_depot_per_identity,
        postgres_one_offline_depot_per_identity;
    deleting_an_offline_depot_drops_its_files_and_references =>
        sqlite_deleting_an_offline_depot_drops_its_files_and_references,
        postgres_deleting_an_offline_depot_drops_its_files_and_references;
}

fn depot(identity: u8, source: OfflineDepotSource, millis: i64) -> OfflineDepot {
    OfflineDepot {
        id: OfflineDepotId::new(),
        identity: Sha256Digest::from_bytes([identity; 32]),
        source_digest: Sha256Digest::from_bytes([identity ^ 0xff; 32]),
        description: "ESXi 9.0 GA".to_owned(),
        source,
        ownerdata: Some("{\"solution\": \"x\"}".to_owned()),
        owner: UserName::parse("administrator@vsphere.local").unwrap(),
        create_time: chrono::DateTime::from_timestamp_millis(millis).unwrap(),
    }
}

fn pull() -> OfflineDepotSource {
    OfflineDepotSource::Pull {
        location: "https://depot.example.com/esx/depot.zip".to_owned(),
    }
}

/// `n` VIB payloads and the documents, two payloads sharing one blob.
fn files(n: u8) -> Vec<OfflineDepotFile> {
    let mut files = vec![
        OfflineDepotFile {
            path: "index.xml".to_owned(),
            digest: Sha256Digest::from_bytes([1; 32]),
            size: 300,
        },
        OfflineDepotFile {
            path: "vendor-index.xml".to_owned(),
            digest: Sha256Digest::from_bytes([2; 32]),
            size: 400,
        },
    ];
    for i in 0..n {
        files.push(OfflineDepotFile {
            path: format!("vib20/v{i}/v{i}.vib"),
            digest: Sha256Digest::from_bytes([10 + i / 2; 32]),
            size: 1 << 20,
        });
    }
    files.sort();
    files
}

async fn offline_depots_round_trip_with_their_files(store: Store) {
    let pulled = depot(0xa1, pull(), 1_750_000_000_000);
    let file_id = FileId::new();
    let mut pushed = depot(
        0xa2,
        OfflineDepotSource::Push { file_id },
        1_750_000_001_000,
    );
    pushed.ownerdata = None;
    pushed.description = String::new();
    let many = files(250);
    assert_eq!(
        store
            .insert_offline_depot(&pulled, r#"{"metadata_bundles":{}}"#, &many)
            .await
            .unwrap(),
        OfflineDepotInsert::Inserted
    );
    assert_eq!(
        store
            .insert_offline_depot(&pushed, "{}", &files(2))
            .await
            .unwrap(),
        OfflineDepotInsert::Inserted
    );
    assert_eq!(
        store.get_offline_depot(pulled.id).await.unwrap().as_ref(),
        Some(&pulled)
    );
    assert_eq!(
        store.get_offline_depot(pushed.id).await.unwrap().as_ref(),
        Some(&pushed)
    );
    assert_eq!(
        store
            .get_offline_depot(OfflineDepotId::new())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.list_offline_depots().await.unwrap(),
        vec![pulled.clone(), pushed.clone()]
    );
    assert_eq!(
        store
            .offline_depot_content(pulled.id)
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"metadata_bundles":{}}"#)
    );
    assert_eq!(store.offline_depot_files(pulled.id).await.unwrap(), many);
    assert_eq!(
        store
            .offline_depot_by_source(&pushed.source_digest)
            .await
            .unwrap(),
        Some(pushed.id)
    );
    assert_eq!(
        store
            .offline_depot_by_source(&Sha256Digest::from_bytes([7; 32]))
            .await
            .unwrap(),
        None
    );
}

async fn one_offline_depot_per_identity(store: Store) {
    let first = depot(0xb1, pull(), 1_750_000_000_000);
    store
        .insert_offline_depot(&first, "{}", &files(3))
        .await
        .unwrap();
    let mut again = depot(0xb1, pull(), 1_750_000_002_000);
    again.source_digest = Sha256Digest::from_bytes([0x42; 32]);
    assert_eq!(
        store
            .insert_offline_depot(&again, "{}", &files(3))
            .await
            .unwrap(),
        OfflineDepotInsert::Exists(first.id)
    );
    assert_eq!(store.get_offline_depot(again.id).await.unwrap(), None);
    assert!(
        store
            .offline_depot_files(again.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.list_offline_depots().await.unwrap(), vec![first]);
}

async fn deleting_an_offline_depot_drops_its_files_and_references(store: Store) {
    let shared = Sha256Digest::from_bytes([0xee; 32]);
    let a = depot(0xc1, pull(), 1_750_000_000_000);
    let b = depot(0xc2, pull(), 1_750_000_001_000);
    let mut a_files = files(4);
    a_files[0].digest = shared;
    let b_files = vec![OfflineDepotFile {
        path: "index.xml".to_owned(),
        digest: shared,
        size: 300,
    }];
    store
        .insert_offline_depot(&a, "{}", &a_files)
        .await
        .unwrap();
    store
        .insert_offline_depot(&b, "{}", &b_files)
        .await
        .unwrap();
    let referenced = store.blob_references().await.unwrap();
    for f in &a_files {
        assert!(referenced.contains(&f.digest), "{} is referenced", f.path);
    }
    assert!(store.delete_offline_depot(a.id).await.unwrap());
    assert!(
        !store.delete_offline_depot(a.id).await.unwrap(),
        "gone already"
    );
    assert_eq!(store.get_offline_depot(a.id).await.unwrap(), None);
    assert!(store.offline_depot_files(a.id).await.unwrap().is_empty());
    assert_eq!(store.offline_depot_content(a.id).await.unwrap(), None);
    // Only b's blob stays referenced.
    assert_eq!(store.blob_references().await.unwrap(), vec![shared]);
    // The same content may be imported again once the depot is gone.
    let mut again = depot(0xc1, pull(), 1_750_000_003_000);
    again.id = OfflineDepotId::new();
    assert_eq!(
        store
            .insert_offline_depot(&again, "{}", &a_files)
            .await
            .unwrap(),
        OfflineDepotInsert::Inserted
    );
}
