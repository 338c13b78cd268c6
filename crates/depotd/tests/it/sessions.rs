//! The three ways in: vSphere sessions, SDDC Manager tokens, fleet-lcm bearer tokens.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use depot_model::{ManualClock, Role};

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp, basic};

#[tokio::test]
async fn vsphere_session_create_get_delete() {
    let t = TestApp::new().await;
    let id = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
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
    assert!(r.body["created_time"].as_str().unwrap().ends_with('Z'));
    assert!(r.body["last_accessed_time"].is_string());
    // Header names are case-insensitive.
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks",
            &[("VMware-API-Session-Id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .send(
            Method::DELETE,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error_type"], "UNAUTHENTICATED");
    assert!(r.headers.get("www-authenticate").is_some());
}

#[tokio::test]
async fn vsphere_login_failures_speak_vsphere() {
    let t = TestApp::new().await;
    let r = t
        .send(
            Method::POST,
            "/api/session",
            &[("authorization", &basic(ADMIN, "wrong"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error_type"], "UNAUTHENTICATED");
    assert!(r.body["messages"][0]["default_message"].is_string());
    let r = t.send(Method::POST, "/api/session", &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks",
            &[("vmware-api-session-id", "bogus")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error_type"], "UNAUTHENTICATED");
    // Basic works on a single call.
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks",
            &[("authorization", &basic(ADMIN, ADMIN_PASSWORD))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn sddc_tokens_open_fleet_lcm_and_refresh() {
    let t = TestApp::new().await;
    let body = serde_json::json!({"username": ADMIN, "password": ADMIN_PASSWORD}).to_string();
    let r = t.send(Method::POST, "/v1/tokens", &[], Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = r.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = r.body["refreshToken"]["id"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {access}");
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/health",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(r.body, serde_json::json!({"up": true}));
    // Refresh: bare JSON string in, new access token out.
    let r = t
        .send(
            Method::PATCH,
            "/v1/tokens/access-token/refresh",
            &[],
            Some(&format!("\"{refresh}\"")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = r.body.as_str().unwrap().to_owned();
    assert_ne!(fresh, access);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &format!("Bearer {fresh}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A refresh token is not an access token, and a vSphere session is not a bearer token.
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &format!("Bearer {refresh}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &format!("Bearer {session}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["code"], "UNAUTHENTICATED");
    assert!(r.body["referenceId"].is_string());
    // Revoking the refresh token ends it.
    let r = t
        .send(
            Method::DELETE,
            "/v1/tokens/refresh-token",
            &[],
            Some(&format!("\"{refresh}\"")),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t
        .send(
            Method::PATCH,
            "/v1/tokens/access-token/refresh",
            &[],
            Some(&format!("\"{refresh}\"")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["errorCode"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn bad_credentials_answer_in_each_dialect() {
    let t = TestApp::new().await;
    let body = serde_json::json!({"username": ADMIN, "password": "nope-nope"}).to_string();
    let r = t.send(Method::POST, "/v1/tokens", &[], Some(&body)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["errorCode"], "UNAUTHENTICATED");
    assert!(r.body["message"].is_string());
    let r = t.send(Method::GET, "/fleet-lcm/v1/tasks", &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["code"], "UNAUTHENTICATED");
    assert!(r.body["message"]["defaultMessage"].is_string());
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", "Bearer not-a-token")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", "Weird x")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Basic on a single fleet-lcm call works.
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &basic(ADMIN, ADMIN_PASSWORD))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_of_a_deleted_user_stop_working() {
    let t = TestApp::new().await;
    t.add_user("carol@vsphere.local", Role::Operator, "carol-password")
        .await;
    let bearer = format!(
        "Bearer {}",
        t.bearer("carol@vsphere.local", "carol-password").await
    );
    let session = t
        .vsphere_session("carol@vsphere.local", "carol-password")
        .await;
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    t.app
        .services
        .auth
        .remove_user("carol@vsphere.local")
        .await
        .unwrap();
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks",
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let clock = ManualClock::starting_now();
    let t = TestApp::with_clock(
        |c| {
            c.auth.session_idle = Duration::from_mins(30);
            c.auth.session_cache = Duration::ZERO;
        },
        Vec::new(),
        clock.clone(),
    )
    .await;
    let id = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    clock.advance(Duration::from_mins(30));
    let r = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_privileges_are_403_in_each_dialect() {
    let t = TestApp::new().await;
    t.add_user("ro@vsphere.local", Role::ReadOnly, "read-only-pw")
        .await;
    let bearer = format!(
        "Bearer {}",
        t.bearer("ro@vsphere.local", "read-only-pw").await
    );
    let task_id = uuid::Uuid::new_v4();
    let r = t
        .send(
            Method::POST,
            &format!("/fleet-lcm/v1/tasks/{task_id}?action=retry"),
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["code"], "UNAUTHORIZED");
    assert_eq!(r.body["message"]["args"]["privilege"], "Depot.Task.Manage");
    let session = t.vsphere_session("ro@vsphere.local", "read-only-pw").await;
    let r = t
        .send(
            Method::POST,
            &format!("/api/cis/tasks/{task_id}?action=cancel"),
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error_type"], "UNAUTHORIZED");
    // Reading is allowed.
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks",
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}
