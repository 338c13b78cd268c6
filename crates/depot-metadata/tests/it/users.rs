//! Users, and their sessions going with them.

use depot_model::{ErrorKind, Role, SessionKind, TokenHash, UserName};

use crate::backends::{Store, conformance};
use crate::fixtures::{at, session, user};

conformance! {
    users_crud => sqlite_users_crud, postgres_users_crud;
    delete_user_takes_sessions => sqlite_delete_user_takes_sessions, postgres_delete_user_takes_sessions;
}

async fn users_crud(store: Store) {
    let admin = user("administrator@vsphere.local", Role::Admin);
    let bob = user("bob", Role::ReadOnly);
    store.insert_user(&bob).await.unwrap();
    store.insert_user(&admin).await.unwrap();
    let err = store
        .insert_user(&user("bob", Role::Admin))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    assert_eq!(
        store.get_user(&admin.name).await.unwrap(),
        Some(admin.clone())
    );
    let nobody = UserName::parse("nobody").unwrap();
    assert_eq!(store.get_user(&nobody).await.unwrap(), None);
    assert_eq!(
        store.list_users().await.unwrap(),
        vec![admin.clone(), bob.clone()]
    );

    // Only role and password hash are written.
    let mut changed = bob.clone();
    changed.role = Role::Operator;
    changed.password_hash = "$argon2id$new".into();
    changed.created = at(99_000);
    assert!(store.update_user(&changed).await.unwrap());
    changed.created = bob.created;
    assert_eq!(store.get_user(&bob.name).await.unwrap(), Some(changed));
    assert!(
        !store
            .update_user(&user("nobody", Role::Admin))
            .await
            .unwrap()
    );

    assert!(store.delete_user(&bob.name).await.unwrap());
    assert!(!store.delete_user(&bob.name).await.unwrap());
    assert_eq!(store.list_users().await.unwrap(), vec![admin]);
}

async fn delete_user_takes_sessions(store: Store) {
    store
        .insert_user(&user("alice", Role::Admin))
        .await
        .unwrap();
    store
        .insert_user(&user("bob", Role::Operator))
        .await
        .unwrap();
    let sessions = [
        session("aa01", SessionKind::Vsphere, "bob", 0),
        session("aa02", SessionKind::Access, "bob", 0),
        session("aa03", SessionKind::Refresh, "alice", 0),
    ];
    for s in &sessions {
        store.insert_session(s).await.unwrap();
    }
    assert!(
        store
            .delete_user(&UserName::parse("bob").unwrap())
            .await
            .unwrap()
    );
    for hash in ["aa01", "aa02"] {
        assert_eq!(
            store.get_session(&TokenHash(hash.into())).await.unwrap(),
            None
        );
    }
    let alice = store.get_session(&TokenHash("aa03".into())).await.unwrap();
    assert_eq!(alice.as_ref(), Some(&sessions[2]));
}
