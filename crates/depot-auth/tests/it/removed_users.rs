//! Sessions of removed users stop working.

use std::time::Duration;

use depot_auth::AuthService;
use depot_metadata::UserStore;
use depot_model::{Role, SessionKind, UserName};

use crate::fixture::{
    CLIENT, TestDb, assert_bad_credentials, assert_invalid_session, on_manual_clock, secret,
    settings,
};

const BOB: &str = "bob@corp.example";
const BOB_PASSWORD: &str = "bob's password";
const ALL: [SessionKind; 3] = [
    SessionKind::Vsphere,
    SessionKind::Access,
    SessionKind::Refresh,
];

/// Bob's vSphere session and both his tokens, each used once (so cached).
async fn bob_logged_in(auth: &AuthService) -> Vec<depot_auth::Secret> {
    auth.add_user(BOB, Role::Operator, secret(BOB_PASSWORD))
        .await
        .unwrap();
    let (session, _) = auth
        .open_session(BOB, &secret(BOB_PASSWORD), CLIENT)
        .await
        .unwrap();
    let tokens = auth
        .issue_tokens(BOB, &secret(BOB_PASSWORD), CLIENT)
        .await
        .unwrap();
    let secrets = vec![session, tokens.access, tokens.refresh];
    for s in &secrets {
        auth.authenticate(s.expose(), &ALL).await.unwrap();
    }
    auth.basic(BOB, &secret(BOB_PASSWORD), CLIENT)
        .await
        .unwrap();
    secrets
}

#[tokio::test]
async fn removing_a_user_ends_their_sessions_at_once() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let secrets = bob_logged_in(&auth).await;

    auth.remove_user(BOB).await.unwrap();
    for s in &secrets {
        assert_invalid_session(auth.authenticate(s.expose(), &ALL).await);
    }
    assert_invalid_session(auth.refresh(secrets[2].expose()).await);
    assert_bad_credentials(auth.basic(BOB, &secret(BOB_PASSWORD), CLIENT).await);
    assert!(
        auth.list_users()
            .await
            .unwrap()
            .iter()
            .all(|u| u.name.as_str() != BOB)
    );
}

#[tokio::test]
async fn a_user_deleted_by_another_process_is_refused_at_once_without_a_cache() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let auth = db.service(settings(Duration::from_mins(30), Duration::ZERO));
    let secrets = bob_logged_in(&auth).await;

    let cli = db.reopen().await;
    assert!(
        cli.delete_user(&UserName::parse(BOB).unwrap())
            .await
            .unwrap()
    );
    for s in &secrets {
        assert_invalid_session(auth.authenticate(s.expose(), &ALL).await);
    }
}

#[tokio::test]
async fn a_user_deleted_by_another_process_is_refused_once_the_cache_ttl_passed() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let ttl = Duration::from_secs(5);
    let (settings, clock) = on_manual_clock(settings(Duration::from_mins(30), ttl));
    let auth = db.service(settings);
    let secrets = bob_logged_in(&auth).await;

    let cli = db.reopen().await;
    assert!(
        cli.delete_user(&UserName::parse(BOB).unwrap())
            .await
            .unwrap()
    );
    // Within the TTL this process still trusts what it validated; not after.
    clock.advance(ttl.saturating_sub(Duration::from_millis(1)));
    auth.authenticate(secrets[0].expose(), &ALL).await.unwrap();
    clock.advance(Duration::from_millis(1));
    for s in &secrets {
        assert_invalid_session(auth.authenticate(s.expose(), &ALL).await);
    }
    assert_bad_credentials(auth.basic(BOB, &secret(BOB_PASSWORD), CLIENT).await);
}
