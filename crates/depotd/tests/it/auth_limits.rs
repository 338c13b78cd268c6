//! Hostile logins against the real router: a guessed account does not slow others,
//! trusted proxies give each caller its own address, oversized names are refused
//! cleanly, checks past the hash queue are refused in each family's dialect, and
//! tokens end when revoked or at their maximum lifetime.
//!
//! Requests carry the peer address a listener would give them (`ConnectInfo`). Time
//! bounds are the throttle's own delay (8 s) with wide margins, not speed.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use depot_model::{ManualClock, Role};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp, basic};

const X: &str = "x@corp.example";
const Y: &str = "y@corp.example";
const PASSWORD: &str = "the right password";
const MAX_DELAY: Duration = Duration::from_secs(8);

/// A request from `peer` with a JSON `body` and extra headers.
pub(crate) fn from(
    peer: &str,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Request<Body> {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
    let mut request = b.body(body).unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// Status and JSON body of `request`.
pub(crate) async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = call_with_headers(router, request).await;
    (status, body)
}

/// Status, headers and JSON body of `request`.
async fn call_with_headers(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn token_spec(user: &str, password: &str) -> Value {
    json!({"username": user, "password": password})
}

async fn app_with_users(tweak: impl FnOnce(&mut depotd::config::Config)) -> TestApp {
    let t = TestApp::with(tweak, Vec::new()).await;
    for user in [X, Y] {
        t.add_user(user, Role::ReadOnly, PASSWORD).await;
    }
    t
}

/// Sends 30 wrong passwords for X at once from `peer` (with `headers`): waits until
/// the 6 checked at once failed and the 19 beyond their turn were refused (in SDDC
/// Manager's dialect); the 5 held for their turn are abandoned.
async fn thirty_wrong_passwords(router: &Router, peer: &str, headers: &[(&str, &str)]) {
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let request = from(
            peer,
            Method::POST,
            "/v1/tokens",
            headers,
            Some(&token_spec(X, "wrong password")),
        );
        let router = router.clone();
        guesses.spawn(async move { call(&router, request).await });
    }
    let (mut failed, mut refused) = (0, 0);
    while failed < 6 || refused < 19 {
        let (status, body) = guesses.join_next().await.unwrap().unwrap();
        match status {
            StatusCode::UNAUTHORIZED => failed += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["errorCode"], "LOGIN_THROTTLED", "{body}");
                assert_eq!(body["errorType"], "SYSTEM", "{body}");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(refused, 19);
    guesses.abort_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessed_account_does_not_slow_other_users_at_the_same_address() {
    let t = app_with_users(|_| {}).await;
    let office = "192.0.2.10";
    thirty_wrong_passwords(&t.router, office, &[]).await;

    // Y, same address, right password, every way in: at once (it took 8 s before).
    let started = Instant::now();
    let (status, body) = call(
        &t.router,
        from(
            office,
            Method::POST,
            "/v1/tokens",
            &[],
            Some(&token_spec(Y, PASSWORD)),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let auth = basic(Y, PASSWORD);
    let (status, body) = call(
        &t.router,
        from(
            office,
            Method::POST,
            "/api/session",
            &[("authorization", &auth)],
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Basic on the depot, past the credential cache: authenticated (no such file).
    let (status, body) = call(
        &t.router,
        from(
            office,
            Method::GET,
            "/depot/PROD/none.json",
            &[("authorization", &basic(Y, "x"))],
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = call(
        &t.router,
        from(
            office,
            Method::GET,
            "/depot/PROD/none.json",
            &[("authorization", &auth)],
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(started.elapsed() < MAX_DELAY / 2, "{:?}", started.elapsed());

    // X's own attempts from there are still refused at once, in vSphere's dialect too,
    // saying when to come back (the next turn is at most 2 × 8 s away).
    let (status, headers, body) = call_with_headers(
        &t.router,
        from(
            office,
            Method::POST,
            "/api/session",
            &[("authorization", &basic(X, PASSWORD))],
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error_type"], "SERVICE_UNAVAILABLE", "{body}");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=16).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxies_give_each_caller_behind_them_its_own_address() {
    let proxy = "127.0.0.1";
    let guesser = [("x-forwarded-for", "198.51.100.1")];
    let user = [("x-forwarded-for", "198.51.100.2")];
    let x_logs_in = |headers: &[(&str, &str)]| {
        from(
            proxy,
            Method::POST,
            "/v1/tokens",
            headers,
            Some(&token_spec(X, PASSWORD)),
        )
    };

    // Trusted: the guesser's failures are its own.
    let t = app_with_users(|c| c.auth.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;
    thirty_wrong_passwords(&t.router, proxy, &guesser).await;
    let (status, body) = call(&t.router, x_logs_in(&user)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Not trusted: everyone behind the proxy is the proxy, the header is ignored.
    let t = app_with_users(|_| {}).await;
    thirty_wrong_passwords(&t.router, proxy, &guesser).await;
    let (status, body) = call(&t.router, x_logs_in(&user)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    // A header from a peer that is not a trusted proxy is ignored too.
    let t = app_with_users(|c| c.auth.trusted_proxies = vec!["10.0.0.1".parse().unwrap()]).await;
    thirty_wrong_passwords(&t.router, "203.0.113.9", &guesser).await;
    let spoofed = from(
        "203.0.113.9",
        Method::POST,
        "/v1/tokens",
        &user,
        Some(&token_spec(X, PASSWORD)),
    );
    let (status, body) = call(&t.router, spoofed).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_user_names_are_refused_cleanly_in_each_dialect() {
    let t = app_with_users(|_| {}).await;
    let huge = "x".repeat(768 * 1024);
    for _ in 0..4 {
        let (status, body) = call(
            &t.router,
            from(
                "192.0.2.20",
                Method::POST,
                "/v1/tokens",
                &[],
                Some(&token_spec(&huge, PASSWORD)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["errorType"], "AUTHENTICATION");
        assert!(body.to_string().len() < 2048, "the name is not echoed");
        let auth = basic(&huge, PASSWORD);
        let (status, body) = call(
            &t.router,
            from(
                "192.0.2.20",
                Method::POST,
                "/api/session",
                &[("authorization", &auth)],
                None,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error_type"], "UNAUTHENTICATED");
        assert!(body.to_string().len() < 2048);
    }
    // Refused before the throttle: Y at that address is not slowed, nor are names.
    let (status, _) = call(
        &t.router,
        from(
            "192.0.2.20",
            Method::POST,
            "/v1/tokens",
            &[],
            Some(&token_spec(Y, PASSWORD)),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_past_the_hash_queue_are_refused_in_the_family_dialect() {
    let t = app_with_users(|c| {
        c.auth.max_concurrent_hashes = 1;
        c.auth.max_queued_hashes = 0;
    })
    .await;
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..8 {
        let auth = basic(&format!("nobody{i}@corp.example"), "wrong password");
        let request = from(
            &format!("10.2.0.{i}"),
            Method::POST,
            "/api/session",
            &[("authorization", &auth)],
            None,
        );
        let router = t.router.clone();
        logins.spawn(async move { call_with_headers(&router, request).await });
    }
    let mut busy = 0;
    while let Some(done) = logins.join_next().await {
        let (status, headers, body) = done.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error_type"], "SERVICE_UNAVAILABLE", "{body}");
                assert_eq!(
                    body["messages"][0]["id"],
                    "com.vmware.depotd.auth.login_busy"
                );
                assert_eq!(headers["retry-after"], "1", "{body}");
                busy += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        busy >= 1,
        "one hash at a time, none waiting: some were refused"
    );
}

/// A fresh token pair of the administrator: (access token, refresh token).
async fn token_pair(t: &TestApp) -> (String, String) {
    let body = token_spec(ADMIN, ADMIN_PASSWORD).to_string();
    let r = t.send(Method::POST, "/v1/tokens", &[], Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (
        r.body["accessToken"].as_str().unwrap().to_owned(),
        r.body["refreshToken"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The status of a bearer-authenticated fleet-lcm read with `access`.
async fn bearer_status(t: &TestApp, access: &str) -> StatusCode {
    let auth = format!("Bearer {access}");
    t.send(
        Method::GET,
        "/fleet-lcm/v1/tasks",
        &[("authorization", &auth)],
        None,
    )
    .await
    .status
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_access_token_and_nothing_else() {
    let t = TestApp::new().await;
    let revoke = |id: &str| {
        let body = json!({"id": id}).to_string();
        let t = &t;
        async move {
            t.send(Method::DELETE, "/v1/tokens/refresh-token", &[], Some(&body))
                .await
        }
    };
    let (access, refresh) = token_pair(&t).await;
    let (other_access, _) = token_pair(&t).await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(bearer_status(&t, &access).await, StatusCode::OK);

    // Neither a vSphere session id nor an access token can be revoked here.
    for not_refresh in [&session, &access] {
        let r = revoke(not_refresh).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        assert_eq!(r.body["errorType"], "AUTHENTICATION");
    }
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the vSphere session lives on");
    assert_eq!(bearer_status(&t, &access).await, StatusCode::OK);

    let r = revoke(&refresh).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        bearer_status(&t, &access).await,
        StatusCode::UNAUTHORIZED,
        "its pair ended"
    );
    assert_eq!(
        bearer_status(&t, &other_access).await,
        StatusCode::OK,
        "another pair did not"
    );
}

#[tokio::test]
async fn a_token_and_a_session_in_use_end_at_their_maximum_lifetime() {
    let clock = ManualClock::starting_now();
    let t = TestApp::with_clock(
        |c| c.auth.session_max_lifetime = Duration::from_mins(1),
        Vec::new(),
        clock.clone(),
    )
    .await;
    let access = t.bearer(ADMIN, ADMIN_PASSWORD).await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let bearer = format!("Bearer {access}");
    let statuses = || async {
        let a = t
            .send(
                Method::GET,
                "/fleet-lcm/v1/tasks",
                &[("authorization", &bearer)],
                None,
            )
            .await
            .status;
        let s = t
            .send(
                Method::GET,
                "/api/session",
                &[("vmware-api-session-id", &session)],
                None,
            )
            .await
            .status;
        (a, s)
    };
    for _ in 0..5 {
        clock.advance(Duration::from_secs(10));
        assert_eq!(statuses().await, (StatusCode::OK, StatusCode::OK));
    }
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        statuses().await,
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
}
