//! Slowing down password guessing, not the users who know their passwords.
//!
//! The rules are in `throttle.rs`: per user name and address, 5 free failures, then
//! attempts spaced from 250 ms up to 8 s and refused when their turn is more than 8 s
//! away; per address, spraying many names; per user name, a wait of at most 8 s for
//! addresses the user has not logged in from, never a refusal. The services here run
//! on a manual clock: moving it forward lets a guesser's turn come without waiting.
//! The time bounds asserted are the throttle's own delays (8 s) with wide margins, not
//! the speed of anything.

use std::sync::Arc;
use std::time::{Duration, Instant};

use depot_auth::{ADMIN_USER, AuthError, AuthService, AuthSettings};
use depot_model::{ErrorKind, ManualClock, Role};

use crate::fixture::{
    ADMIN_PASSWORD, CLIENT, TestDb, assert_bad_credentials, on_manual_clock, secret,
};

const X: &str = "x@corp.example";
const Y: &str = "y@corp.example";
const PASSWORD: &str = "the right password";
/// The longest the throttle ever holds an attempt.
const MAX_DELAY: Duration = Duration::from_secs(8);

/// A service on a manual clock with the administrator, X and Y.
async fn service(db: &TestDb) -> (Arc<AuthService>, Arc<ManualClock>) {
    db.with_admin().await;
    let (settings, clock) = on_manual_clock(AuthSettings::default());
    let auth = db.service(settings);
    for user in [X, Y] {
        auth.add_user(user, Role::ReadOnly, secret(PASSWORD))
            .await
            .unwrap();
    }
    (Arc::new(auth), clock)
}

/// Begins a login and walks away before it is answered, as a guesser dropping the
/// connection does: the attempt still counts as a failure.
async fn begin_and_drop(auth: &AuthService, user: &str, client: &str) {
    let guess = secret("a wrong guess");
    let attempt = auth.check_password(user, &guess, client);
    let _ = tokio::time::timeout(Duration::ZERO, attempt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_wrong_passwords_for_one_user_do_not_slow_another_at_that_address() {
    let db = TestDb::new().await;
    let (auth, clock) = service(&db).await;
    // X logged in from this address and from home before (so the per-account wait
    // does not apply there), then 30 wrong passwords for X follow, each once its turn
    // has come.
    let home = "192.0.2.77";
    for client in [CLIENT, home] {
        auth.check_password(X, &secret(PASSWORD), client)
            .await
            .unwrap();
    }
    for i in 0..30 {
        if i > 0 {
            clock.advance(2 * MAX_DELAY);
        }
        assert_bad_credentials(
            auth.check_password(X, &secret("wrong password"), CLIENT)
                .await,
        );
    }
    // X's guesses now come 8 s apart: one more right away is refused or held.
    let held = tokio::time::timeout(
        Duration::from_millis(500),
        auth.check_password(X, &secret("wrong password"), CLIENT),
    )
    .await;
    assert!(
        matches!(held, Err(_) | Ok(Err(AuthError::Throttled { .. }))),
        "{held:?}"
    );

    // Y, same address, right password: not held (it would wait 8 s before).
    let started = Instant::now();
    auth.check_password(Y, &secret(PASSWORD), CLIENT)
        .await
        .unwrap();
    auth.basic(Y, &secret(PASSWORD), CLIENT).await.unwrap();
    // Nor is X at home.
    auth.check_password(X, &secret(PASSWORD), home)
        .await
        .unwrap();
    assert!(started.elapsed() < MAX_DELAY / 2, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_guesses_is_refused_at_once_beyond_its_turns() {
    let db = TestDb::new().await;
    let (auth, _clock) = service(&db).await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let auth = Arc::clone(&auth);
        burst.spawn(async move {
            auth.check_password(X, &secret("wrong password"), CLIENT)
                .await
        });
    }
    // 5 free, the 6th at once, 5 more spaced over the next 8 s, 19 refused.
    let (mut failed, mut refused) = (0, 0);
    while failed < 6 || refused < 19 {
        let Some(done) = burst.join_next().await else {
            panic!("only {failed} failed and {refused} were refused");
        };
        match done.unwrap() {
            Err(AuthError::BadCredentials) => failed += 1,
            Err(e @ AuthError::Throttled { .. }) => {
                assert_eq!(e.kind(), ErrorKind::Unavailable);
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused, 19);
    burst.abort_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_lock_the_administrator_out() {
    let db = TestDb::new().await;
    let (auth, _clock) = service(&db).await;
    let desk = "192.0.2.1";
    auth.check_password(ADMIN_USER, &secret(ADMIN_PASSWORD), desk)
        .await
        .unwrap();
    // Guesses for the administrator from many addresses, and many from one address.
    for i in 0..200 {
        begin_and_drop(&auth, ADMIN_USER, &format!("198.51.100.{i}")).await;
    }
    for _ in 0..200 {
        begin_and_drop(&auth, ADMIN_USER, "203.0.113.66").await;
    }

    // From the desk: at once. From an address never used before: after at most 8 s,
    // never refused.
    let started = Instant::now();
    auth.check_password(ADMIN_USER, &secret(ADMIN_PASSWORD), desk)
        .await
        .unwrap();
    assert!(started.elapsed() < MAX_DELAY / 2, "{:?}", started.elapsed());
    let started = Instant::now();
    auth.open_session(ADMIN_USER, &secret(ADMIN_PASSWORD), "192.0.2.2")
        .await
        .expect("a new address waits, but gets in");
    assert!(
        started.elapsed() < MAX_DELAY + MAX_DELAY / 2,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spraying_names_from_one_address_slows_new_names_there_only() {
    let db = TestDb::new().await;
    let (auth, _clock) = service(&db).await;
    let sprayer = "10.9.9.9";
    // Y logged in from the sprayer's address before (say, behind the same NAT).
    auth.check_password(Y, &secret(PASSWORD), sprayer)
        .await
        .unwrap();
    for i in 0..40 {
        begin_and_drop(&auth, &format!("guess{i}@corp.example"), sprayer).await;
    }
    assert!(matches!(
        auth.check_password(X, &secret(PASSWORD), sprayer).await,
        Err(AuthError::Throttled { .. })
    ));
    let started = Instant::now();
    auth.check_password(Y, &secret(PASSWORD), sprayer)
        .await
        .expect("a known user is not held up");
    auth.check_password(X, &secret(PASSWORD), CLIENT)
        .await
        .expect("other addresses are not held up");
    assert!(started.elapsed() < MAX_DELAY / 2, "{:?}", started.elapsed());
}
