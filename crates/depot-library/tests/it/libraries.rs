//! Local libraries: names, backings, publish passwords, versions, client tokens.

use depot_library::{
    BackingSpec, ContentLibrary, LibraryChange, LibraryError, LibraryQuery, NewLibrary,
    PUBLISH_PASSWORD_FIELD, PublishSpec,
};
use depot_model::{LibraryAuth, LibraryKind, Secret, StorageBacking};

use crate::backends::both;

fn named(name: &str) -> NewLibrary {
    NewLibrary {
        name: Some(name.to_owned()),
        ..NewLibrary::default()
    }
}

fn basic(password: &str) -> PublishSpec {
    PublishSpec {
        published: Some(true),
        authentication: Some(LibraryAuth::Basic),
        user_name: Some("vcsp".to_owned()),
        password: Some(Secret::new(password)),
        ..PublishSpec::default()
    }
}

async fn create_and_change(lib: ContentLibrary) {
    let mut spec = named("a");
    spec.storage = vec![BackingSpec::Datastore(Some("datastore-depot".into()))];
    spec.publish = Some(basic("S3cret!"));
    let id = lib
        .create_local_library("u", spec, Some("tok"))
        .await
        .unwrap();
    let again = lib
        .create_local_library("u", named("a"), Some("tok"))
        .await
        .unwrap();
    assert_eq!(again, id);
    let stored = lib.library(id).await.unwrap();
    assert_eq!(stored.version, 1);
    assert!(matches!(stored.storage, StorageBacking::Datastore { .. }));
    let sealed = stored.publish.unwrap().password.unwrap();
    assert_eq!(
        lib.open(PUBLISH_PASSWORD_FIELD, &sealed).unwrap().expose(),
        "S3cret!"
    );

    let change = LibraryChange {
        description: Some("d".into()),
        version: Some("1".into()),
        ..LibraryChange::default()
    };
    lib.update_library(id, Some(LibraryKind::Local), change.clone())
        .await
        .unwrap();
    assert_eq!(lib.library(id).await.unwrap().version, 2);
    let stale = lib.update_library(id, None, change).await.unwrap_err();
    assert!(
        matches!(stale, LibraryError::ConcurrentChange(_)),
        "{stale:?}"
    );

    let new_password = |current: Option<&str>| LibraryChange {
        publish: Some(PublishSpec {
            password: Some(Secret::new("N3w")),
            current_password: current.map(Secret::new),
            ..PublishSpec::default()
        }),
        ..LibraryChange::default()
    };
    for current in [None, Some("wrong")] {
        let e = lib
            .update_library(id, None, new_password(current))
            .await
            .unwrap_err();
        assert!(matches!(e, LibraryError::Invalid(_)), "{e:?}");
    }
    lib.update_library(id, None, new_password(Some("S3cret!")))
        .await
        .unwrap();
    let stored = lib.library(id).await.unwrap();
    assert_eq!(stored.version, 3);
    let sealed = stored.publish.unwrap().password.unwrap();
    assert_eq!(
        lib.open(PUBLISH_PASSWORD_FIELD, &sealed).unwrap().expose(),
        "N3w"
    );
    lib.publish_library(id, &[]).await.unwrap();
    let e = lib.publish_library(id, &["s".into()]).await.unwrap_err();
    assert!(matches!(e, LibraryError::NotFound { .. }), "{e:?}");
}

async fn bad_input(lib: ContentLibrary) {
    for name in ["", " ", &"x".repeat(256)] {
        let e = lib
            .create_local_library("u", named(name), None)
            .await
            .unwrap_err();
        assert!(matches!(e, LibraryError::Invalid(_)), "{e:?}");
    }
    lib.create_local_library("u", named("taken"), None)
        .await
        .unwrap();
    let e = lib
        .create_local_library("u", named("taken"), None)
        .await
        .unwrap_err();
    assert_eq!(depot_model::DomainError::code(&e), "ALREADY_EXISTS");
    let mut spec = named("b");
    spec.storage = vec![BackingSpec::Other(Some("file:///srv".into()))];
    let e = lib.create_local_library("u", spec, None).await.unwrap_err();
    assert!(e.to_string().contains("depotd:"), "{e}");
    let mut spec = named("c");
    let mut publish = basic("p");
    publish.user_name = Some("root".into());
    spec.publish = Some(publish);
    let e = lib.create_local_library("u", spec, None).await.unwrap_err();
    assert!(e.to_string().contains("vcsp"), "{e}");
    assert_eq!(
        lib.library_ids(None).await.unwrap().len(),
        1,
        "nothing half-stored"
    );
    let found = lib
        .find_libraries(&LibraryQuery {
            name: Some("taken".into()),
            ..LibraryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

both! {
    create_and_change => sqlite_create_and_change, postgres_create_and_change;
    bad_input => sqlite_bad_input, postgres_bad_input;
}
