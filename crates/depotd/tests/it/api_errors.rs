//! Every failure answers in its family's error body with the right status — never a
//! framework's plain-text default.

use axum::http::{Method, StatusCode};

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

fn assert_json(r: &Reply) {
    let ct = r
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ct.as_deref(), Some("application/json"), "body: {}", r.text);
    assert!(!r.body.is_null(), "not JSON: {}", r.text);
}

#[tokio::test]
async fn malformed_json_names_the_problem() {
    let t = TestApp::new().await;
    for (body, needle) in [
        ("{\"username\": \"a\"", "Invalid JSON"),
        ("[1, 2]", "Invalid JSON"),
        ("{\"username\": 5, \"password\": \"x\"}", "username"),
        (
            "{\"username\": \"a\", \"password\": \"b\", \"pasword\": \"c\"}",
            "pasword",
        ),
        (
            "{\"username\": \"a\", \"password\": \"b\"} trailing",
            "trailing",
        ),
    ] {
        let r = t.send(Method::POST, "/v1/tokens", &[], Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_json(&r);
        assert_eq!(r.body["errorCode"], "INVALID_JSON", "{}", r.text);
        assert!(
            r.body["message"].as_str().unwrap().contains(needle),
            "{body}: {}",
            r.text
        );
    }
    let r = t.send(Method::POST, "/v1/tokens", &[], Some("{}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errorCode"], "TOKEN_SPEC_INVALID");
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_the_family_body() {
    let t = TestApp::with(|c| c.max_body_bytes = 1024, Vec::new()).await;
    let big = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(4096)
    );
    let r = t.send(Method::POST, "/v1/tokens", &[], Some(&big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_json(&r);
    assert_eq!(r.body["errorCode"], "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn unknown_routes_answer_per_family() {
    let t = TestApp::new().await;
    let r = t
        .send(Method::GET, "/fleet-lcm/v1/nothing-here", &[], None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_json(&r);
    assert_eq!(r.body["code"], "OPERATION_NOT_FOUND");
    assert!(
        r.body["message"]["defaultMessage"]
            .as_str()
            .unwrap()
            .contains("/fleet-lcm/v1/nothing-here")
    );
    let r = t.send(Method::GET, "/api/nothing/here", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error_type"], "OPERATION_NOT_FOUND");
    let r = t.send(Method::GET, "/v1/nothing", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["errorCode"], "OPERATION_NOT_FOUND");
    let r = t.send(Method::GET, "/nothing", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_json(&r);
}

#[tokio::test]
async fn wrong_methods_answer_per_family() {
    let t = TestApp::new().await;
    let r = t
        .send(Method::DELETE, "/fleet-lcm/v1/tasks", &[], None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_json(&r);
    assert_eq!(r.body["code"], "METHOD_NOT_ALLOWED");
    for (method, path) in [
        (Method::PUT, "/api/session"),
        (Method::PATCH, "/api/cis/tasks"),
        (Method::DELETE, "/api"),
    ] {
        let r = t.send(method.clone(), path, &[], None).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            r.text
        );
        assert_eq!(r.body["error_type"], "INVALID_REQUEST", "{method} {path}");
        assert!(r.headers.get("allow").is_some(), "{method} {path}");
    }
    let r = t.send(Method::GET, "/v1/tokens", &[], None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["errorCode"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn bad_query_parameters_and_ids() {
    let t = TestApp::new().await;
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let auth = [("authorization", bearer.as_str())];
    for q in [
        "pageSize=0",
        "pageSize=101",
        "pageNumber=x",
        "status=BOGUS",
        "startTimeGt=2025-01-01T00:00:00",
        "includeSystemTasks=maybe",
    ] {
        let r = t
            .send(
                Method::GET,
                &format!("/fleet-lcm/v1/tasks?{q}"),
                &auth,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_json(&r);
    }
    let r = t
        .send(Method::GET, "/fleet-lcm/v1/tasks/not-a-uuid", &auth, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["code"], "TASK_NOT_FOUND");
    let r = t
        .send(
            Method::POST,
            &format!(
                "/fleet-lcm/v1/tasks/{}?action=explode",
                uuid::Uuid::new_v4()
            ),
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = t
        .send(
            Method::GET,
            &format!("/api/cis/tasks/{}", uuid::Uuid::new_v4()),
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error_type"], "NOT_FOUND");
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks?status=WHATEVER",
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error_type"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = TestApp::new().await;
    let r = t
        .send(
            Method::GET,
            "/fleet-lcm/v1/tasks",
            &[("x-request-id", "abc-123")],
            None,
        )
        .await;
    assert_eq!(r.headers.get("x-request-id").unwrap(), "abc-123");
    assert_eq!(r.body["referenceId"], "abc-123");
    let r = t.send(Method::GET, "/health", &[], None).await;
    assert!(r.headers.get("x-request-id").is_some());
}
