//! Sessions and tokens.

use depot_model::{ErrorKind, Role, SessionKind, TokenHash};

use crate::backends::{Store, conformance};
use crate::fixtures::{at, session, user};

conformance! {
    sessions_crud => sqlite_sessions_crud, postgres_sessions_crud;
    delete_expired_sessions_by_kind =>
        sqlite_delete_expired_sessions_by_kind, postgres_delete_expired_sessions_by_kind;
    delete_a_refresh_family =>
        sqlite_delete_a_refresh_family, postgres_delete_a_refresh_family;
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

async fn delete_expired_sessions_by_kind(store: Store) {
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
    // Nothing was created before at(0): only the idle cut deletes.
    let cut = at(5_000);
    let delete = |kind, idle_before, created_before| {
        let store = store.clone();
        async move {
            store
                .delete_expired_sessions(kind, idle_before, created_before)
                .await
                .unwrap()
        }
    };
    assert_eq!(delete(SessionKind::Access, cut, at(0)).await, 1);
    assert_eq!(delete(SessionKind::Access, cut, at(0)).await, 0);
    assert_eq!(delete(SessionKind::Refresh, cut, at(0)).await, 1);
    for s in all {
        let gone = [&old_access.token_hash, &old_refresh.token_hash].contains(&&s.token_hash);
        let stored = store.get_session(&s.token_hash).await.unwrap();
        assert_eq!(stored.is_none(), gone, "{:?}", s.token_hash);
    }

    // A session in use still ends when it was created before the age cut.
    let mut young = session("06", SessionKind::Vsphere, "alice", 9_000);
    young.created = at(2_000);
    store.insert_session(&young).await.unwrap();
    let mut old = session("07", SessionKind::Vsphere, "alice", 9_000);
    old.created = at(1_000);
    store.insert_session(&old).await.unwrap();
    assert_eq!(
        delete(SessionKind::Vsphere, at(0), at(2_000)).await,
        2,
        "07 and 05"
    );
    for gone in [&old, &old_vsphere] {
        assert!(store.get_session(&gone.token_hash).await.unwrap().is_none());
    }
    assert_eq!(
        store.get_session(&young.token_hash).await.unwrap(),
        Some(young.clone()),
        "created exactly at the cut: kept"
    );
}

async fn delete_a_refresh_family(store: Store) {
    store
        .insert_user(&user("alice", Role::Admin))
        .await
        .unwrap();
    let refresh = session("r1", SessionKind::Refresh, "alice", 0);
    let other_refresh = session("r2", SessionKind::Refresh, "alice", 0);
    let mut issued = session("a1", SessionKind::Access, "alice", 0);
    issued.refresh = Some(refresh.token_hash.clone());
    let mut minted = session("a2", SessionKind::Access, "alice", 0);
    minted.refresh = Some(refresh.token_hash.clone());
    let mut other = session("a3", SessionKind::Access, "alice", 0);
    other.refresh = Some(other_refresh.token_hash.clone());
    let vsphere = session("v1", SessionKind::Vsphere, "alice", 0);
    for s in [&refresh, &other_refresh, &issued, &minted, &other, &vsphere] {
        store.insert_session(s).await.unwrap();
    }
    assert_eq!(
        store.get_session(&issued.token_hash).await.unwrap(),
        Some(issued.clone()),
        "the family is stored"
    );

    // Neither a vSphere session nor an access token heads a family.
    for not_refresh in [&vsphere, &other] {
        assert_eq!(
            store
                .delete_refresh_family(&not_refresh.token_hash)
                .await
                .unwrap(),
            0
        );
    }
    assert_eq!(
        store
            .delete_refresh_family(&refresh.token_hash)
            .await
            .unwrap(),
        3
    );
    for s in [&refresh, &issued, &minted] {
        assert_eq!(store.get_session(&s.token_hash).await.unwrap(), None);
    }
    for s in [&other_refresh, &other, &vsphere] {
        assert!(store.get_session(&s.token_hash).await.unwrap().is_some());
    }
    assert_eq!(
        store
            .delete_refresh_family(&refresh.token_hash)
            .await
            .unwrap(),
        0
    );
}
