//! Slowing down repeated failed logins.
//!
//! Documented in `throttle.rs`: three free failures per user name (twenty per client
//! address), then 250 ms before the next check, doubling per further failure; a success
//! clears the user's count (not the client's). The lower bounds asserted here are that
//! deliberate delay, not the speed of anything; the reset is shown by the order in
//! which two concurrent attempts are answered.

use std::time::{Duration, Instant};

use depot_auth::{AuthService, Principal};
use depot_model::Role;

use crate::fixture::{TestDb, assert_bad_credentials, secret};

const FIRST_DELAY: Duration = Duration::from_millis(250);
const PASSWORD: &str = "the right password";

/// Checks a login and says when it was answered and how long it took.
async fn timed_login(
    auth: &AuthService,
    user: &str,
    password: &str,
    client: &str,
) -> (Result<Principal, depot_auth::AuthError>, Instant, Duration) {
    let started = Instant::now();
    let result = auth.check_password(user, &secret(password), client).await;
    (result, Instant::now(), started.elapsed())
}

/// Fails `n` times for `user` from `client`.
async fn fail(auth: &AuthService, n: usize, user: &str, client: &str) {
    for _ in 0..n {
        assert_bad_credentials(
            auth.check_password(user, &secret("wrong password"), client)
                .await,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_delay_further_attempts_until_a_success() {
    let db = TestDb::new().await;
    let auth = db.with_admin().await;
    for user in ["u@corp.example", "v@corp.example"] {
        auth.add_user(user, Role::ReadOnly, secret(PASSWORD))
            .await
            .unwrap();
    }
    // v fails 4 times, u 5 times, each from its own address; only u's fifth waits.
    tokio::join!(
        fail(&auth, 5, "u@corp.example", "10.0.0.1"),
        fail(&auth, 4, "v@corp.example", "10.0.0.2"),
    );

    // The next attempt for u waits (500 ms after 5 failures), even with the right
    // password from a new address.
    let (result, _, took) = timed_login(&auth, "u@corp.example", PASSWORD, "10.0.0.3").await;
    result.expect("the right password still works, only later");
    assert!(took >= 2 * FIRST_DELAY, "waited only {took:?}");

    // That success cleared u's count; v's stays. Both run at once, from new
    // addresses: u is answered before v waits out its 250 ms (without the reset, u
    // would wait 500 ms and come last).
    let ((u, u_done, _), (v, v_done, v_took)) = tokio::join!(
        timed_login(&auth, "u@corp.example", "wrong password", "10.0.0.4"),
        timed_login(&auth, "v@corp.example", PASSWORD, "10.0.0.5"),
    );
    assert_bad_credentials(u);
    v.expect("v's right password");
    assert!(v_took >= FIRST_DELAY, "v waited only {v_took:?}");
    assert!(
        u_done < v_done,
        "u's count was reset by its success, so u did not wait"
    );
}
