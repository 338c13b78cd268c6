//! Privilege checks through roles.

use depot_auth::AuthError;
use depot_model::{ErrorKind, Privilege, Role, SessionKind};

use crate::fixture::{CLIENT, TestDb, secret};

#[tokio::test]
async fn a_read_only_user_may_read_but_not_write() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    auth.add_user(
        "reader@corp.example",
        Role::ReadOnly,
        secret("reader password"),
    )
    .await
    .unwrap();
    let (session, _) = auth
        .open_session("reader@corp.example", &secret("reader password"), CLIENT)
        .await
        .unwrap();
    let reader = auth
        .authenticate(session.expose(), &[SessionKind::Vsphere])
        .await
        .unwrap();
    assert_eq!(reader.role, Role::ReadOnly);

    reader.require(Privilege::SystemRead).unwrap();
    reader.require(Privilege::LifecycleSettingsRead).unwrap();
    let err = reader
        .require(Privilege::LifecycleSettingsWrite)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    match &err {
        AuthError::Forbidden { user, privilege } => {
            assert_eq!(user, "reader@corp.example");
            assert_eq!(*privilege, Privilege::LifecycleSettingsWrite);
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    for denied in [
        Privilege::UserManage,
        Privilege::TaskManage,
        Privilege::DepotSync,
    ] {
        assert_eq!(
            reader.require(denied).unwrap_err().kind(),
            ErrorKind::Forbidden,
            "{denied}"
        );
    }
}

#[tokio::test]
async fn operators_and_admins_get_their_roles_privileges() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    auth.add_user(
        "op@corp.example",
        Role::Operator,
        secret("operator password"),
    )
    .await
    .unwrap();
    let op = auth
        .basic("op@corp.example", &secret("operator password"), CLIENT)
        .await
        .unwrap();
    op.require(Privilege::LifecycleSettingsWrite).unwrap();
    op.require(Privilege::TaskManage).unwrap();
    assert_eq!(
        op.require(Privilege::UserManage).unwrap_err().kind(),
        ErrorKind::Forbidden
    );

    let admin = auth
        .basic(
            depot_auth::ADMIN_USER,
            &secret(crate::fixture::ADMIN_PASSWORD),
            CLIENT,
        )
        .await
        .unwrap();
    for p in Privilege::ALL {
        admin.require(p).unwrap();
    }
}
