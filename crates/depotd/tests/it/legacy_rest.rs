//! The legacy `/rest` session (vCenter 6.5–7, Ansible's vmware.vmware_rest 1.x): one
//! session with `/api` and JSON-RPC, the cookie, and every error in the legacy body.

use axum::http::{Method, StatusCode};
use depot_model::Role;

use crate::auth_limits::{call, from};
use crate::jsonrpc::{error_name, no_input, request, rpc, session};
use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp, basic};

const PATH: &str = "/rest/com/vmware/cis/session";

/// Logs in on `/rest`; returns the session id and the `Set-Cookie` header.
async fn rest_login(t: &TestApp) -> (String, String) {
    let r = t
        .send(
            Method::POST,
            PATH,
            &[
                ("authorization", &basic(ADMIN, ADMIN_PASSWORD)),
                ("content-type", "application/json"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.text))
        .to_owned();
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
    (id, cookie)
}

/// Checks a legacy error body: `{"type": "<error id>", "value": {messages, error_type}}`.
fn assert_legacy_error(r: &Reply, status: StatusCode, error_type: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json", "{}", r.text);
    let id = format!("com.vmware.vapi.std.errors.{}", error_type.to_lowercase());
    assert_eq!(r.body["type"], id.as_str(), "{}", r.text);
    assert_eq!(r.body["value"]["error_type"], error_type, "{}", r.text);
    let message = &r.body["value"]["messages"][0];
    assert!(message["id"].is_string(), "{}", r.text);
    assert!(message["default_message"].is_string(), "{}", r.text);
    assert!(message["args"].is_array(), "{}", r.text);
    assert!(
        r.body.get("error_type").is_none(),
        "not the /api body: {}",
        r.text
    );
}

async fn rest_get(t: &TestApp, headers: &[(&str, &str)]) -> Reply {
    t.send(Method::GET, PATH, headers, None).await
}

#[tokio::test]
async fn login_answers_the_id_and_a_cookie_the_other_doors_accept() {
    let t = TestApp::new().await;
    let (id, cookie) = rest_login(&t).await;
    assert_eq!(
        cookie,
        format!("vmware-api-session-id={id}; Path=/rest; Secure; HttpOnly")
    );
    // `/api`.
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["user"], "VSPHERE.LOCAL\\administrator");
    // JSON-RPC.
    let r = rpc(
        &t,
        &request(
            "1",
            "com.vmware.cis.session",
            "get",
            no_input(),
            session(&id),
        ),
    )
    .await;
    let info = &r["result"]["output"]["STRUCTURE"]["com.vmware.cis.session.info"];
    assert_eq!(info["user"], "VSPHERE.LOCAL\\administrator", "{r}");
}

#[tokio::test]
async fn served_as_plain_http_the_cookie_is_not_secure() {
    let t = TestApp::with(|c| c.plain_http = true, Vec::new()).await;
    let (id, cookie) = rest_login(&t).await;
    assert_eq!(
        cookie,
        format!("vmware-api-session-id={id}; Path=/rest; HttpOnly")
    );
}

#[tokio::test]
async fn get_by_header_by_cookie_and_by_action() {
    let t = TestApp::new().await;
    let (id, _) = rest_login(&t).await;
    let cookie = format!("other=1; vmware-api-session-id={id}");
    for r in [
        rest_get(&t, &[("vmware-api-session-id", &id)]).await,
        rest_get(&t, &[("cookie", &cookie)]).await,
        t.send(
            Method::POST,
            &format!("{PATH}?~action=get"),
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let value = &r.body["value"];
        assert_eq!(value["user"], "VSPHERE.LOCAL\\administrator", "{}", r.text);
        assert!(value["created_time"].as_str().unwrap().ends_with('Z'));
        assert!(value["last_accessed_time"].is_string());
    }
}

#[tokio::test]
async fn sessions_of_the_other_doors_work_here() {
    let t = TestApp::new().await;
    t.add_user("reader@corp.example", Role::ReadOnly, "reader-pass")
        .await;
    let api = t
        .vsphere_session("reader@corp.example", "reader-pass")
        .await;
    let r = rest_get(&t, &[("vmware-api-session-id", &api)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["value"]["user"], "CORP.EXAMPLE\\reader");
    let jsonrpc = crate::jsonrpc::login(&t).await;
    let r = rest_get(&t, &[("vmware-api-session-id", &jsonrpc)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["value"]["user"], "VSPHERE.LOCAL\\administrator");
}

/// Asserts a JSON answer whose `Content-Type` is exactly `application/json`: Ansible's
/// vmware.vmware_rest modules compare the header verbatim and ignore any other body.
fn assert_json(r: &Reply, status: StatusCode) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json", "{}", r.text);
}

/// What Ansible's vmware.vmware_rest modules (4.x) send: a login by aiohttp (Basic, no
/// body, no content type), then `/api` calls with the id and `content-type:
/// application/json` on every request, bodiless GETs included, and `{}` as the body of
/// a DELETE. `state: present` re-runs compare the `storage_backings` they sent with the
/// library read back, so that list holds no extra (null) fields.
#[tokio::test]
async fn ansible_drives_a_local_library_with_the_legacy_session() {
    let t = TestApp::new().await;
    let login = [("authorization", basic(ADMIN, ADMIN_PASSWORD))];
    let login: Vec<(&str, &str)> = login.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = t.send(Method::POST, PATH, &login, None).await;
    assert_json(&r, StatusCode::OK);
    let id = r.body["value"].as_str().unwrap().to_owned();
    let session = [("vmware-api-session-id", id.as_str())];
    let typed = [session[0], ("content-type", "application/json")];

    let all = "/api/content/local-library";
    let r = t.send(Method::GET, all, &typed, None).await;
    assert_json(&r, StatusCode::OK);
    assert_eq!(r.body, serde_json::json!([]));
    let backings = serde_json::json!([{"type": "DATASTORE", "datastore_id": "datastore-depot"}]);
    let spec = serde_json::json!({"name": "ansible", "storage_backings": backings});
    let r = t
        .send(Method::POST, all, &session, Some(&spec.to_string()))
        .await;
    assert_json(&r, StatusCode::CREATED);
    let one = format!("{all}/{}", r.body.as_str().unwrap());
    let r = t.send(Method::GET, &one, &typed, None).await;
    assert_json(&r, StatusCode::OK);
    assert_eq!(r.body["storage_backings"], backings, "{}", r.text);

    let r = t.send(Method::DELETE, &one, &session, Some("{}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // `state: absent` again: a 404 NOT_FOUND is what the module reports as "no change".
    let r = t.send(Method::DELETE, &one, &session, Some("{}")).await;
    assert_json(&r, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error_type"], "NOT_FOUND", "{}", r.text);
}

#[tokio::test]
async fn delete_ends_the_session_everywhere() {
    let t = TestApp::new().await;
    let (id, _) = rest_login(&t).await;
    let cookie = format!("vmware-api-session-id={id}");
    let r = t
        .send(Method::DELETE, PATH, &[("cookie", &cookie)], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.raw.is_empty(), "{}", r.text);
    let r = rest_get(&t, &[("vmware-api-session-id", &id)]).await;
    assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let r = rpc(
        &t,
        &request(
            "2",
            "com.vmware.cis.session",
            "get",
            no_input(),
            session(&id),
        ),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthenticated");
    // And a session ended on `/api` is gone here.
    let (id, _) = rest_login(&t).await;
    let r = t
        .send(
            Method::DELETE,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = rest_get(&t, &[("vmware-api-session-id", &id)]).await;
    assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
}

#[tokio::test]
async fn authentication_failures_speak_the_legacy_dialect() {
    let t = TestApp::new().await;
    let wrong = basic(ADMIN, "wrong");
    let r = t
        .send(Method::POST, PATH, &[("authorization", &wrong)], None)
        .await;
    assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    assert_eq!(r.body["value"]["challenge"], "Basic realm=\"depotd\"");
    assert_eq!(r.headers["www-authenticate"], "Basic realm=\"depotd\"");
    assert!(r.headers.get("set-cookie").is_none());
    // No credentials at all, a session id where a password is due, a bearer token.
    for headers in [
        vec![],
        vec![("vmware-api-session-id", "bogus")],
        vec![("authorization", "Bearer x")],
    ] {
        let r = t.send(Method::POST, PATH, &headers, None).await;
        assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    }
    for headers in [
        vec![],
        vec![("vmware-api-session-id", "bogus")],
        vec![("cookie", "vmware-api-session-id=bogus")],
        vec![("authorization", &*wrong)],
    ] {
        let r = rest_get(&t, &headers).await;
        assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
        let r = t.send(Method::DELETE, PATH, &headers, None).await;
        assert_legacy_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn routing_failures_speak_the_legacy_dialect() {
    let t = TestApp::new().await;
    for path in [
        "/rest/com/vmware/nothing",
        "/rest/vcenter/datastore",
        "/rest",
        "/rest/",
    ] {
        let r = t.send(Method::GET, path, &[], None).await;
        assert_legacy_error(&r, StatusCode::NOT_FOUND, "OPERATION_NOT_FOUND");
    }
    let r = t
        .send(Method::POST, &format!("{PATH}?~action=bogus"), &[], None)
        .await;
    assert_legacy_error(&r, StatusCode::NOT_FOUND, "OPERATION_NOT_FOUND");
    let r = t.send(Method::PUT, PATH, &[], None).await;
    assert_legacy_error(&r, StatusCode::METHOD_NOT_ALLOWED, "INVALID_REQUEST");
    let allow = r.headers["allow"].to_str().unwrap();
    for method in ["GET", "POST", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    let r = t
        .send(
            Method::POST,
            &format!("{PATH}?~action=get&~action=get"),
            &[],
            None,
        )
        .await;
    assert_legacy_error(&r, StatusCode::BAD_REQUEST, "INVALID_ARGUMENT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_throttle_holds_here_too() {
    let t = TestApp::new().await;
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let router = t.router.clone();
        let auth = basic(ADMIN, "wrong password");
        let request = from(
            "192.0.2.20",
            Method::POST,
            PATH,
            &[("authorization", &auth)],
            None,
        );
        guesses.spawn(async move { call(&router, request).await });
    }
    let (mut failed, mut refused) = (0, 0);
    while failed < 6 || refused < 19 {
        let (status, body) = guesses.join_next().await.unwrap().unwrap();
        match status {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["type"], "com.vmware.vapi.std.errors.unauthenticated");
                failed += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(
                    body["type"], "com.vmware.vapi.std.errors.service_unavailable",
                    "{body}"
                );
                assert_eq!(body["value"]["error_type"], "SERVICE_UNAVAILABLE");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(refused, 19);
    guesses.abort_all();
    // The same guesser is refused on `/api` too: one throttle.
    let auth = basic(ADMIN, ADMIN_PASSWORD);
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
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_past_the_hash_queue_are_refused_in_the_legacy_dialect() {
    let t = TestApp::with(
        |c| {
            c.auth.max_concurrent_hashes = 1;
            c.auth.max_queued_hashes = 0;
        },
        Vec::new(),
    )
    .await;
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..8 {
        let router = t.router.clone();
        let auth = basic(&format!("nobody{i}@corp.example"), "wrong password");
        let request = from(
            &format!("10.3.0.{i}"),
            Method::POST,
            PATH,
            &[("authorization", &auth)],
            None,
        );
        logins.spawn(async move { call(&router, request).await });
    }
    let mut busy = 0;
    while let Some(done) = logins.join_next().await {
        let (status, body) = done.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(
                    body["type"], "com.vmware.vapi.std.errors.service_unavailable",
                    "{body}"
                );
                assert_eq!(
                    body["value"]["messages"][0]["id"],
                    "com.vmware.depotd.auth.login_busy"
                );
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
