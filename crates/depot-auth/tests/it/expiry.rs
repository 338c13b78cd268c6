//! Idle expiry of sessions and tokens, and purging them.

use std::time::Duration;

use depot_auth::{ADMIN_USER, AuthSettings};
use depot_metadata::SessionStore;
use depot_model::SessionKind;

use crate::fixture::{
    ADMIN_PASSWORD, CLIENT, TestDb, admin_session, assert_invalid_session, on_manual_clock, secret,
    settings, stored_hash,
};

const IDLE: Duration = Duration::from_mins(30);
/// Just past [`IDLE`].
const PAST_IDLE: Duration = Duration::from_millis(30 * 60 * 1000 + 1);

#[tokio::test]
async fn a_session_unused_past_its_idle_time_is_refused_and_deleted() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(settings(IDLE, Duration::ZERO));
    let auth = db.service(settings);
    let id = admin_session(&auth).await;
    auth.authenticate(id.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();

    clock.advance(PAST_IDLE);
    assert_invalid_session(
        auth.authenticate(id.expose(), &[SessionKind::Vsphere])
            .await,
    );
    assert!(
        db.store
            .get_session(&stored_hash(&id))
            .await
            .unwrap()
            .is_none(),
        "an expired session found in use is deleted"
    );
}

#[tokio::test]
async fn a_session_in_use_outlives_its_idle_time() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let idle = Duration::from_secs(1);
    for cache_ttl in [Duration::ZERO, Duration::from_secs(5)] {
        let (settings, clock) = on_manual_clock(settings(idle, cache_ttl));
        let auth = db.service(settings);
        let id = admin_session(&auth).await;
        let step = Duration::from_millis(50);
        let mut elapsed = Duration::ZERO;
        while elapsed < idle + idle / 4 {
            auth.authenticate(id.expose(), &[SessionKind::Vsphere])
                .await
                .unwrap_or_else(|e| panic!("cache TTL {cache_ttl:?}, after {elapsed:?}: {e}"));
            clock.advance(step);
            elapsed += step;
        }
        let info = auth.session_info(id.expose()).await.unwrap();
        assert!(info.last_accessed > info.created, "uses are recorded");
    }
}

#[tokio::test]
async fn refresh_tokens_have_their_own_idle_time() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(AuthSettings {
        session_idle: IDLE,
        refresh_idle: Duration::from_hours(1),
        cache_ttl: Duration::ZERO,
        ..AuthSettings::default()
    });
    let auth = db.service(settings);
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    clock.advance(PAST_IDLE);
    assert_invalid_session(
        auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
            .await,
    );
    let fresh = auth.refresh(tokens.refresh.expose()).await.unwrap();
    auth.authenticate(fresh.expose(), &[SessionKind::Access])
        .await
        .unwrap();
}

#[tokio::test]
async fn purge_expired_deletes_only_expired_sessions() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(AuthSettings {
        session_idle: IDLE,
        refresh_idle: Duration::from_hours(1),
        cache_ttl: Duration::ZERO,
        ..AuthSettings::default()
    });
    let auth = db.service(settings);
    let session = admin_session(&auth).await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    assert_eq!(
        auth.purge_expired().await.unwrap(),
        0,
        "nothing is idle yet"
    );

    clock.advance(PAST_IDLE);
    let recent = admin_session(&auth).await;
    assert_eq!(
        auth.purge_expired().await.unwrap(),
        2,
        "the old session and access token"
    );
    for gone in [&session, &tokens.access] {
        assert!(
            db.store
                .get_session(&stored_hash(gone))
                .await
                .unwrap()
                .is_none()
        );
    }
    for kept in [&tokens.refresh, &recent] {
        assert!(
            db.store
                .get_session(&stored_hash(kept))
                .await
                .unwrap()
                .is_some()
        );
    }
    auth.authenticate(recent.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    assert_eq!(auth.purge_expired().await.unwrap(), 0);
}

#[tokio::test]
async fn idle_times_too_long_to_represent_never_expire() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let auth = db.service(AuthSettings {
        session_idle: Duration::MAX,
        refresh_idle: Duration::from_secs(u64::MAX / 2),
        cache_ttl: Duration::ZERO,
        ..AuthSettings::default()
    });
    let session = admin_session(&auth).await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    assert_eq!(auth.purge_expired().await.unwrap(), 0);
    auth.authenticate(session.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    auth.refresh(tokens.refresh.expose()).await.unwrap();
}
