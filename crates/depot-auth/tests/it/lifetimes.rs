//! Maximum lifetimes: a session or token ends a fixed time after it was opened, however
//! much it is used.

use std::time::Duration;

use depot_auth::{ADMIN_USER, AuthSettings};
use depot_metadata::SessionStore;
use depot_model::SessionKind;

use crate::fixture::{
    ADMIN_PASSWORD, CLIENT, TestDb, admin_session, assert_invalid_session, on_manual_clock, secret,
    stored_hash,
};

const LIFETIME: Duration = Duration::from_hours(1);
const STEP: Duration = Duration::from_mins(10);

fn settings(cache_ttl: Duration) -> AuthSettings {
    AuthSettings {
        session_idle: Duration::from_mins(30),
        refresh_idle: Duration::from_hours(2),
        session_max_lifetime: LIFETIME,
        refresh_max_lifetime: 2 * LIFETIME,
        cache_ttl,
        ..AuthSettings::default()
    }
}

#[tokio::test]
async fn sessions_and_access_tokens_in_use_end_at_their_lifetime() {
    let db = TestDb::new().await;
    db.with_admin().await;
    for cache_ttl in [Duration::ZERO, Duration::from_hours(2)] {
        let (settings, clock) = on_manual_clock(settings(cache_ttl));
        let auth = db.service(settings);
        let session = admin_session(&auth).await;
        let tokens = auth
            .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
            .await
            .unwrap();
        // Used every 10 minutes, never idle: good for the whole hour...
        for _ in 0..5 {
            clock.advance(STEP);
            auth.authenticate(session.expose(), &[SessionKind::Vsphere])
                .await
                .unwrap_or_else(|e| panic!("cache TTL {cache_ttl:?}: {e}"));
            auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
                .await
                .unwrap();
        }
        // ...and not a moment longer, whatever the cache holds.
        clock.advance(STEP);
        assert_invalid_session(
            auth.authenticate(session.expose(), &[SessionKind::Vsphere])
                .await,
        );
        assert_invalid_session(
            auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
                .await,
        );
        for gone in [&session, &tokens.access] {
            assert!(
                db.store
                    .get_session(&stored_hash(gone))
                    .await
                    .unwrap()
                    .is_none(),
                "an expired session found in use is deleted"
            );
        }
        // The refresh token lives longer and mints fresh access tokens, each with a
        // lifetime of its own.
        let fresh = auth.refresh(tokens.refresh.expose()).await.unwrap();
        auth.authenticate(fresh.expose(), &[SessionKind::Access])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn refresh_tokens_in_use_end_at_their_own_lifetime() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(settings(Duration::ZERO));
    let auth = db.service(settings);
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    for _ in 0..11 {
        clock.advance(STEP);
        auth.refresh(tokens.refresh.expose()).await.unwrap();
    }
    clock.advance(STEP);
    assert_invalid_session(auth.refresh(tokens.refresh.expose()).await);
}

#[tokio::test]
async fn purging_deletes_sessions_past_their_lifetime_even_if_used() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(settings(Duration::ZERO));
    let auth = db.service(settings);
    let old = admin_session(&auth).await;
    let mut young = None;
    // Every 10 minutes both are used; the young one is opened half an hour later.
    for step in 1..=5 {
        clock.advance(STEP);
        if step == 3 {
            young = Some(admin_session(&auth).await);
        }
        for s in [Some(&old), young.as_ref()].into_iter().flatten() {
            auth.authenticate(s.expose(), &[SessionKind::Vsphere])
                .await
                .unwrap();
        }
    }
    let young = young.expect("opened");
    assert_eq!(
        auth.purge_expired().await.unwrap(),
        0,
        "both are young enough"
    );
    clock.advance(STEP + Duration::from_millis(1));
    assert_eq!(auth.purge_expired().await.unwrap(), 1, "the old one went");
    assert!(
        db.store
            .get_session(&stored_hash(&old))
            .await
            .unwrap()
            .is_none()
    );
    auth.authenticate(young.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
}
