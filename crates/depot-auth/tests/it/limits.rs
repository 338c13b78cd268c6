//! Bounded work per login: what is refused before any work, and how many password
//! hashes run at once.

use std::sync::Arc;

use depot_auth::{ADMIN_USER, AuthError, AuthSettings};
use depot_model::ErrorKind;

use crate::fixture::{ADMIN_PASSWORD, CLIENT, TestDb, assert_bad_credentials, secret};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_names_and_passwords_are_refused_before_any_work() {
    let db = TestDb::new().await;
    db.with_admin().await;
    // One hash at a time and none waiting: a login that reached the hash gate while
    // another hashes would be refused as busy instead.
    let auth = Arc::new(db.service(AuthSettings {
        hash_concurrency: 1,
        hash_queue: 0,
        ..AuthSettings::default()
    }));
    let huge_name = "x".repeat(768 * 1024);
    let huge_password = "p".repeat(768 * 1024);
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..32 {
        let (auth, name, password) = (Arc::clone(&auth), huge_name.clone(), huge_password.clone());
        logins.spawn(async move {
            if i % 2 == 0 {
                auth.check_password(&name, &secret(ADMIN_PASSWORD), CLIENT)
                    .await
            } else {
                auth.basic(ADMIN_USER, &secret(&password), CLIENT).await
            }
        });
    }
    while let Some(done) = logins.join_next().await {
        assert_bad_credentials(done.unwrap());
    }
    // None of that was counted against the administrator or the address.
    auth.check_password(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_past_the_hash_queue_are_refused_as_busy_and_not_counted() {
    let db = TestDb::new().await;
    db.with_admin().await;
    let auth = Arc::new(db.service(AuthSettings {
        hash_concurrency: 1,
        hash_queue: 1,
        ..AuthSettings::default()
    }));
    // Ten logins at once, each for its own name from its own address (the throttle
    // holds none): one hashes, one waits, the rest are refused at once.
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..10 {
        let auth = Arc::clone(&auth);
        logins.spawn(async move {
            let user = format!("user{i}@corp.example");
            auth.check_password(&user, &secret("wrong password"), &format!("10.1.0.{i}"))
                .await
        });
    }
    let (mut checked, mut busy) = (0, 0);
    while let Some(done) = logins.join_next().await {
        match done.unwrap() {
            Err(AuthError::BadCredentials) => checked += 1,
            Err(e @ AuthError::Busy) => {
                assert_eq!(e.kind(), ErrorKind::Unavailable);
                busy += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(checked >= 2 && busy >= 1, "{checked} checked, {busy} busy");
    // Busy refusals are no failures: the administrator is not slowed by them either.
    auth.check_password(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .unwrap();
}
