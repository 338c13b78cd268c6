//! Managing users, and the errors of doing it wrong.

use depot_auth::{ADMIN_USER, AuthError};
use depot_model::{ErrorKind, Role};

use crate::fixture::{TestDb, secret};

#[tokio::test]
async fn users_are_added_listed_and_removed() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    let dave = auth
        .add_user("Dave@Corp.example", Role::Operator, secret("dave password"))
        .await
        .unwrap();
    assert_eq!(
        dave.name.as_str(),
        "dave@corp.example",
        "names are stored in lower case"
    );
    let names: Vec<_> = auth
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(names, [ADMIN_USER, "dave@corp.example"]);
    auth.remove_user("DAVE@corp.example").await.unwrap();
    assert_eq!(auth.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn user_management_errors() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    auth.add_user("erin@corp.example", Role::ReadOnly, secret("erin password"))
        .await
        .unwrap();

    let err = auth
        .add_user("ERIN@corp.example", Role::Admin, secret("other password"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::UserExists(ref n) if n == "erin@corp.example"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    for weak in ["", "short", "1234567", &"x".repeat(257)] {
        let err = auth
            .add_user("frank@corp.example", Role::ReadOnly, secret(weak))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::WeakPassword), "{weak:?}: {err:?}");
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }
    auth.add_user("frank@corp.example", Role::ReadOnly, secret("12345678"))
        .await
        .expect("8 characters are enough");
    let err = auth
        .set_password("frank@corp.example", secret("short"))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::WeakPassword), "{err:?}");

    for bad in ["a b", "", "a@b@c", "semi;colon", &"x".repeat(257)] {
        let err = auth
            .add_user(bad, Role::ReadOnly, secret("good password"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::InvalidUserName(_)),
            "{bad:?}: {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }

    for admin in [ADMIN_USER, "Administrator@VSPHERE.LOCAL"] {
        let err = auth.remove_user(admin).await.unwrap_err();
        assert!(matches!(err, AuthError::BuiltInAdmin), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState);
    }

    let err = auth.remove_user("ghost@corp.example").await.unwrap_err();
    assert!(
        matches!(err, AuthError::NoSuchUser(ref n) if n == "ghost@corp.example"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = auth
        .set_password("ghost@corp.example", secret("good password"))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NoSuchUser(_)), "{err:?}");
    let err = auth
        .set_role("ghost@corp.example", Role::Admin)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NoSuchUser(_)), "{err:?}");

    let names: Vec<_> = auth
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(
        names,
        [ADMIN_USER, "erin@corp.example", "frank@corp.example"],
        "no failed call changed anything"
    );
}
