//! The built-in administrator.

use depot_auth::{ADMIN_USER, AuthSettings};
use depot_model::Role;

use crate::fixture::{CLIENT, TestDb, assert_bad_credentials, secret};

#[tokio::test]
async fn ensure_admin_creates_the_administrator_with_the_given_password() {
    let db = TestDb::new().await;
    let auth = db.service(AuthSettings::default());
    let shown = auth
        .ensure_admin(Some(secret("given password 1")))
        .await
        .unwrap();
    assert!(shown.is_none(), "a given password is not shown back");

    let users = auth.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].name.as_str(), users[0].role),
        (ADMIN_USER, Role::Admin)
    );
    assert!(!users[0].password_hash.contains("given password 1"));

    let who = auth
        .check_password(ADMIN_USER, &secret("given password 1"), CLIENT)
        .await
        .unwrap();
    assert_eq!((who.user.as_str(), who.role), (ADMIN_USER, Role::Admin));
    let upper = auth
        .check_password(
            "Administrator@VSPHERE.local",
            &secret("given password 1"),
            CLIENT,
        )
        .await
        .unwrap();
    assert_eq!(
        upper.user.as_str(),
        ADMIN_USER,
        "names are case-insensitive"
    );
    assert_bad_credentials(
        auth.check_password(ADMIN_USER, &secret("given password 2"), CLIENT)
            .await,
    );
}

#[tokio::test]
async fn a_generated_password_is_returned_once_and_kept() {
    let db = TestDb::new().await;
    let auth = db.service(AuthSettings::default());
    let generated = auth
        .ensure_admin(None)
        .await
        .unwrap()
        .expect("a generated password");
    assert!(
        generated.expose().len() >= 32,
        "generated passwords are long"
    );
    auth.check_password(ADMIN_USER, &generated, CLIENT)
        .await
        .unwrap();

    assert!(
        auth.ensure_admin(None).await.unwrap().is_none(),
        "shown only once"
    );
    assert!(
        auth.ensure_admin(Some(secret("another password")))
            .await
            .unwrap()
            .is_none()
    );
    // A restarted process finds the administrator too.
    let restarted = db.service(AuthSettings::default());
    assert!(restarted.ensure_admin(None).await.unwrap().is_none());

    auth.check_password(ADMIN_USER, &generated, CLIENT)
        .await
        .unwrap();
    assert_bad_credentials(
        auth.check_password(ADMIN_USER, &secret("another password"), CLIENT)
            .await,
    );
    assert_eq!(auth.list_users().await.unwrap().len(), 1);
}
