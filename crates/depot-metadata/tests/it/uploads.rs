//! Uploaded files: insert with their blob reference, reserve, use, expire.

use chrono::TimeDelta;
use depot_model::{FileId, Sha256Digest, UploadedFile, UserName};

use crate::backends::{Store, conformance};

conformance! {
    uploads_keep_their_blob_until_they_expire =>
        sqlite_uploads_keep_their_blob_until_they_expire,
        postgres_uploads_keep_their_blob_until_they_expire;
    reserving_and_using_an_upload_is_guarded =>
        sqlite_reserving_and_using_an_upload_is_guarded,
        postgres_reserving_and_using_an_upload_is_guarded;
}

fn upload(byte: u8, expires_in: TimeDelta) -> UploadedFile {
    let created = chrono::DateTime::from_timestamp_millis(1_750_000_000_000).unwrap();
    UploadedFile {
        id: FileId::new(),
        digest: Sha256Digest::from_bytes([byte; 32]),
        size: 5 << 20,
        file_name: Some("VMware-ESXi-9.0-depot.zip".to_owned()),
        owner: UserName::parse("administrator@vsphere.local").unwrap(),
        created,
        expires: created + expires_in,
        used_by: None,
    }
}

async fn uploads_keep_their_blob_until_they_expire(store: Store) {
    let soon = upload(0xaa, TimeDelta::hours(1));
    let later = upload(0xbb, TimeDelta::hours(2));
    let used = upload(0xcc, TimeDelta::hours(1));
    for f in [&soon, &later, &used] {
        store.insert_upload(f).await.unwrap();
    }
    assert!(store.insert_upload(&soon).await.is_err(), "ids are unique");
    assert_eq!(
        store.get_upload(soon.id).await.unwrap().as_ref(),
        Some(&soon)
    );
    assert_eq!(store.get_upload(FileId::new()).await.unwrap(), None);
    assert_eq!(store.blob_references().await.unwrap().len(), 3);
    assert!(
        store
            .set_upload_used(used.id, "offline-depot-1")
            .await
            .unwrap()
    );

    // Nothing has expired an instant before the hour.
    let hour = soon.expires;
    let before = hour - TimeDelta::milliseconds(1);
    assert_eq!(store.delete_expired_uploads(before).await.unwrap(), 0);
    // At the hour the unused one goes with its reference; the used one stays.
    assert_eq!(store.delete_expired_uploads(hour).await.unwrap(), 1);
    assert_eq!(store.get_upload(soon.id).await.unwrap(), None);
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![later.digest, used.digest]
    );
    assert_eq!(store.delete_expired_uploads(hour).await.unwrap(), 0);
    let far = hour + TimeDelta::days(30);
    assert_eq!(store.delete_expired_uploads(far).await.unwrap(), 1);
    assert_eq!(store.blob_references().await.unwrap(), vec![used.digest]);
    assert_eq!(
        store
            .get_upload(used.id)
            .await
            .unwrap()
            .unwrap()
            .used_by
            .as_deref(),
        Some("offline-depot-1")
    );
}

async fn reserving_and_using_an_upload_is_guarded(store: Store) {
    let f = upload(0xdd, TimeDelta::hours(1));
    store.insert_upload(&f).await.unwrap();
    let now = f.created + TimeDelta::minutes(10);
    let extended = f.created + TimeDelta::hours(5);
    // Reserving moves the expiry forward, never back.
    let r = store
        .reserve_upload(f.id, now, extended)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.expires, extended);
    let r = store.reserve_upload(f.id, now, now).await.unwrap().unwrap();
    assert_eq!(r.expires, extended);
    // So the housekeeping at the first expiry keeps it.
    assert_eq!(store.delete_expired_uploads(f.expires).await.unwrap(), 0);
    // Unknown and expired files are not reserved.
    assert_eq!(
        store
            .reserve_upload(FileId::new(), now, extended)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .reserve_upload(f.id, extended, extended)
            .await
            .unwrap(),
        None
    );
    // One depot uses it, once; then it is reserved no more.
    assert!(
        store
            .set_upload_used(f.id, "offline-depot-2")
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_upload_used(f.id, "offline-depot-3")
            .await
            .unwrap()
    );
    assert_eq!(
        store.reserve_upload(f.id, now, extended).await.unwrap(),
        None
    );
    assert!(
        !store
            .set_upload_used(FileId::new(), "offline-depot-4")
            .await
            .unwrap()
    );
}
