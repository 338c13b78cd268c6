//! Sessions and tokens.

use depot_model::{ErrorKind, Role, SessionKind, TokenHash};

use crate::backends::{Store, conformance};
use crate::fixtures::{at, session, user};

conformance! {
    sessions_crud => sqlite_sessions_crud, postgres_sessions_crud;
    delete_idle_sessions_by_kind =>
        sqlite_delete_idle_sessions_by_kind, postgres_delete_idle_sessions_by_kind;
    delete_sessions_of_one_user =>
        sqlite_delete_sessions_of_one_user, postgres_delete_sessions_of_one_user;
}

async fn delete_sessions_of_one_user(store: Store) {
    store
        .insert_user(&user("alice", Role::Admin))
        .await
        .unwrap();
    store.insert_user(&user("bob", Role::Admin)).await.unwrap();
    for (hash, kind, who) in [
        ("a1", SessionKind::Vsphere, "alice"),
        ("a2", SessionKind::Refresh, "alice"),
        ("b1", SessionKind::Access, "bob"),
    ] {
        store
            .insert_session(&session(hash, kind, who, 0))
            .await
            .unwrap();
    }
    let alice = depot_model::UserName::parse("alice").unwrap();
    assert_eq!(store.delete_user_sessions(&alice).await.unwrap(), 2);
    assert_eq!(
        store.get_session(&TokenHash("a1".into())).await.unwrap(),
        None
    );
    assert!(
        store
            .get_session(&TokenHash("b1".into()))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.delete_user_sessions(&alice).await.unwrap(), 0);
}

async fn sessions_crud(store: Store) {
    store
        .insert_user(&user("alice", Role::Admin))
        .await
        .unwrap();
    let s = session("c0ffee", SessionKind::Vsphere, "alice", 0);
    store.insert_session(&s).await.unwrap();
    let err = store.insert_session(&s).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(
        store.get_session(&s.token_hash).await.unwrap(),
        Some(s.clone())
    );
    let unknown = TokenHash("ffff".into());
    assert_eq!(store.get_session(&unknown).await.unwrap(), None);

    store.touch_session(&s.token_hash, at(5_000)).await.unwrap();
    let touched = store.get_session(&s.token_hash).await.unwrap().unwrap();
    assert_eq!(touched.last_accessed, at(5_000));
    assert_eq!(touched.created, s.created);
    // An older touch arriving late does not move it back.
    store.touch_session(&s.token_hash, at(1_000)).await.unwrap();
    let touched = store.get_session(&s.token_hash).await.unwrap().unwrap();
    assert_eq!(touched.last_accessed, at(5_000));
    store.touch_session(&unknown, at(1_000)).await.unwrap();

    assert!(store.delete_session(&s.token_hash).await.unwrap());
    assert!(!store.delete_session(&s.token_hash).await.unwrap());
    assert_eq!(store.get_session(&s.token_hash).await.unwrap(), None);
}

async fn delete_idle_sessions_by_kind(store: Store) {
    store
        .insert_user(&user("alice", Role::Admin))
        .await
        .unwrap();
    let old_access = session("01", SessionKind::Access, "alice", 1_000);
    let edge_access = session("02", SessionKind::Access, "alice", 5_000);
    let fresh_access = session("03", SessionKind::Access, "alice", 9_000);
    let old_refresh = session("04", SessionKind::Refresh, "alice", 1_000);
    let old_vsphere = session("05", SessionKind::Vsphere, "alice", 1_000);
    let all = [
        &old_access,
        &edge_access,
        &fresh_access,
        &old_refresh,
        &old_vsphere,
    ];
    for s in all {
        store.insert_session(s).await.unwrap();
    }
    let cut = at(5_000);
    assert_eq!(
        store
            .delete_idle_sessions(SessionKind::Access, cut)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .delete_idle_sessions(SessionKind::Access, cut)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .delete_idle_sessions(SessionKind::Refresh, cut)
            .await
            .unwrap(),
        1
    );
    for s in all {
        let gone = [&old_access.token_hash, &old_refresh.token_hash].contains(&&s.token_hash);
        let stored = store.get_session(&s.token_hash).await.unwrap();
        assert_eq!(stored.is_none(), gone, "{:?}", s.token_hash);
    }
}
