//! vSphere sessions: open, use, inspect, close; and refused logins.

use depot_auth::ADMIN_USER;
use depot_metadata::SessionStore;
use depot_model::{SessionKind, TokenHash};

use crate::fixture::{
    ADMIN_PASSWORD, CLIENT, TestDb, admin_session, assert_bad_credentials, assert_invalid_session,
    secret, stored_hash,
};

#[tokio::test]
async fn a_session_works_until_closed() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let (id, who) = auth
        .open_session(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    assert_eq!(who.user.as_str(), ADMIN_USER);

    let again = auth
        .authenticate(id.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    assert_eq!(again, who);
    let info = auth.session_info(id.expose()).await.unwrap();
    assert_eq!(info.user.as_str(), ADMIN_USER);
    assert!(info.created <= info.last_accessed);

    let other = admin_session(&auth).await;
    assert_ne!(other, id, "every login gets its own session");

    auth.close_session(id.expose()).await.unwrap();
    assert_invalid_session(
        auth.authenticate(id.expose(), &[SessionKind::Vsphere])
            .await,
    );
    assert_invalid_session(auth.session_info(id.expose()).await);
    assert_invalid_session(auth.close_session(id.expose()).await);
    auth.authenticate(other.expose(), &[SessionKind::Vsphere])
        .await
        .expect("closing one session leaves the others");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_refused_alike() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    assert_bad_credentials(
        auth.open_session(ADMIN_USER, &secret("not the password"), CLIENT)
            .await,
    );
    assert_bad_credentials(
        auth.open_session("nobody@vsphere.local", &secret(ADMIN_PASSWORD), CLIENT)
            .await,
    );
    assert_bad_credentials(
        auth.open_session("not a name!", &secret(ADMIN_PASSWORD), CLIENT)
            .await,
    );
    assert_bad_credentials(
        auth.issue_tokens(ADMIN_USER, &secret("not the password"), CLIENT)
            .await,
    );
    assert_bad_credentials(auth.basic("nobody", &secret(ADMIN_PASSWORD), CLIENT).await);
}

#[tokio::test]
async fn unknown_secrets_are_refused() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let all = [
        SessionKind::Vsphere,
        SessionKind::Access,
        SessionKind::Refresh,
    ];
    assert_invalid_session(auth.authenticate("0123456789abcdef", &all).await);
    assert_invalid_session(auth.authenticate("", &all).await);
    assert_invalid_session(auth.session_info("0123456789abcdef").await);
}

#[tokio::test]
async fn only_hashes_of_secrets_are_stored() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let id = admin_session(&auth).await;
    let stored = db
        .store
        .get_session(&stored_hash(&id))
        .await
        .unwrap()
        .expect("stored session");
    assert_eq!(stored.kind, SessionKind::Vsphere);
    assert_eq!(stored.user.as_str(), ADMIN_USER);
    assert_ne!(stored.token_hash.0, id.expose());
    assert!(
        db.store
            .get_session(&TokenHash(id.expose().to_owned()))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !format!("{id:?}").contains(id.expose()),
        "Debug hides secrets"
    );
}
