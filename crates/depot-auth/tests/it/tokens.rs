//! Access and refresh tokens.

use depot_auth::ADMIN_USER;
use depot_model::SessionKind;

use crate::fixture::{
    ADMIN_PASSWORD, CLIENT, TestDb, admin_session, assert_invalid_session, secret,
};

#[tokio::test]
async fn each_token_works_only_as_its_kind() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    assert_ne!(tokens.access, tokens.refresh);

    let who = auth
        .authenticate(tokens.access.expose(), &[SessionKind::Access])
        .await
        .unwrap();
    assert_eq!(who.user.as_str(), ADMIN_USER);
    assert_invalid_session(
        auth.authenticate(tokens.access.expose(), &[SessionKind::Vsphere])
            .await,
    );
    assert_invalid_session(auth.session_info(tokens.access.expose()).await);
    assert_invalid_session(
        auth.authenticate(tokens.refresh.expose(), &[SessionKind::Access])
            .await,
    );
    assert_invalid_session(
        auth.authenticate(tokens.refresh.expose(), &[SessionKind::Vsphere])
            .await,
    );
    let session = admin_session(&auth).await;
    assert_invalid_session(
        auth.authenticate(session.expose(), &[SessionKind::Access])
            .await,
    );
    // One call may accept several kinds.
    auth.authenticate(
        session.expose(),
        &[SessionKind::Access, SessionKind::Vsphere],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refresh_token_mints_access_tokens() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();

    let fresh = auth.refresh(tokens.refresh.expose()).await.unwrap();
    assert_ne!(fresh, tokens.access);
    assert_ne!(fresh, tokens.refresh);
    let who = auth
        .authenticate(fresh.expose(), &[SessionKind::Access])
        .await
        .unwrap();
    assert_eq!(who.user.as_str(), ADMIN_USER);
    auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
        .await
        .expect("the earlier access token still works");
    let another = auth.refresh(tokens.refresh.expose()).await.unwrap();
    assert_ne!(another, fresh);

    assert_invalid_session(auth.refresh(tokens.access.expose()).await);
    assert_invalid_session(auth.refresh(fresh.expose()).await);
    assert_invalid_session(auth.refresh("not a token").await);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_access_tokens() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    let minted = auth.refresh(tokens.refresh.expose()).await.unwrap();
    let other = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    // All in use, so all cached.
    for access in [&tokens.access, &minted, &other.access] {
        auth.authenticate(access.expose(), &[SessionKind::Access])
            .await
            .unwrap();
    }

    auth.revoke_refresh(tokens.refresh.expose()).await.unwrap();
    assert_invalid_session(auth.refresh(tokens.refresh.expose()).await);
    for ended in [&tokens.access, &minted] {
        assert_invalid_session(
            auth.authenticate(ended.expose(), &[SessionKind::Access])
                .await,
        );
    }
    // Another family is untouched.
    auth.authenticate(other.access.expose(), &[SessionKind::Access])
        .await
        .unwrap();
    auth.refresh(other.refresh.expose()).await.unwrap();
    assert_invalid_session(auth.revoke_refresh(tokens.refresh.expose()).await);
}

#[tokio::test]
async fn only_refresh_tokens_can_be_revoked() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let session = admin_session(&auth).await;
    let tokens = auth
        .issue_tokens(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    // Neither a vSphere session id nor an access token is a refresh token: refused as
    // unknown, and still good.
    assert_invalid_session(auth.revoke_refresh(session.expose()).await);
    assert_invalid_session(auth.revoke_refresh(tokens.access.expose()).await);
    assert_invalid_session(auth.revoke_refresh("not a token").await);
    auth.authenticate(session.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
        .await
        .unwrap();
    auth.refresh(tokens.refresh.expose()).await.unwrap();
}
