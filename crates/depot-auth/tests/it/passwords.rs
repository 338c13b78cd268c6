//! HTTP Basic credentials and password changes.

use depot_auth::ADMIN_USER;
use depot_model::{Role, SessionKind};

use crate::fixture::{ADMIN_PASSWORD, CLIENT, TestDb, assert_bad_credentials, secret};

const CAROL: &str = "carol@corp.example";

#[tokio::test]
async fn basic_credentials_are_checked_on_each_call() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let who = auth
        .basic(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
    assert_eq!((who.user.as_str(), who.role), (ADMIN_USER, Role::Admin));
    // A remembered success does not let a wrong password through.
    assert_bad_credentials(
        auth.basic(ADMIN_USER, &secret("wrong password"), CLIENT)
            .await,
    );
    assert_eq!(
        auth.basic(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
            .await
            .unwrap(),
        who
    );
}

#[tokio::test]
async fn a_new_password_replaces_the_old_one_at_once() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    auth.add_user(CAROL, Role::Operator, secret("first password"))
        .await
        .unwrap();
    auth.basic(CAROL, &secret("first password"), CLIENT)
        .await
        .unwrap();
    let (session, _) = auth
        .open_session(CAROL, &secret("first password"), CLIENT)
        .await
        .unwrap();
    let tokens = auth
        .issue_tokens(CAROL, &secret("first password"), CLIENT)
        .await
        .unwrap();

    auth.set_password(CAROL, secret("second password"))
        .await
        .unwrap();
    // Sessions and tokens opened with the old password end with it.
    assert!(
        auth.authenticate(session.expose(), &[SessionKind::Vsphere])
            .await
            .is_err()
    );
    assert!(
        auth.authenticate(tokens.access.expose(), &[SessionKind::Access])
            .await
            .is_err()
    );
    assert!(auth.refresh(tokens.refresh.expose()).await.is_err());
    assert_bad_credentials(auth.basic(CAROL, &secret("first password"), CLIENT).await);
    assert_bad_credentials(
        auth.open_session(CAROL, &secret("first password"), CLIENT)
            .await,
    );
    auth.basic(CAROL, &secret("second password"), CLIENT)
        .await
        .unwrap();
    auth.open_session(CAROL, &secret("second password"), CLIENT)
        .await
        .unwrap();

    // The administrator's password can be changed like any other.
    auth.set_password(ADMIN_USER, secret("new admin password"))
        .await
        .unwrap();
    assert_bad_credentials(
        auth.basic(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
            .await,
    );
    auth.basic(ADMIN_USER, &secret("new admin password"), CLIENT)
        .await
        .unwrap();
    assert_bad_credentials(
        auth.open_session(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
            .await,
    );
}

#[tokio::test]
async fn a_role_change_applies_to_cached_sessions_at_once() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    auth.add_user(CAROL, Role::ReadOnly, secret("carol password"))
        .await
        .unwrap();
    let (session, _) = auth
        .open_session(CAROL, &secret("carol password"), CLIENT)
        .await
        .unwrap();
    let before = auth
        .authenticate(session.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    assert_eq!(before.role, Role::ReadOnly);

    auth.set_role(CAROL, Role::Operator).await.unwrap();
    let after = auth
        .authenticate(session.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    assert_eq!(after.role, Role::Operator);
    let basic = auth
        .basic(CAROL, &secret("carol password"), CLIENT)
        .await
        .unwrap();
    assert_eq!(basic.role, Role::Operator);
}
