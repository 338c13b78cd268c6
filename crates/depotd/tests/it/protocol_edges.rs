//! Protocol edges every family answers the same way: a body that is not declared
//! JSON, a query parameter given twice or unknown, a wrong method on the operations
//! endpoints. (A caller without the privilege sending a malformed body: `catalogs`.)

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

/// A request whose body is sent with `content_type` (or none).
async fn with_type(
    t: &TestApp,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    t.call(b.body(Body::from(body.to_owned())).unwrap()).await
}

#[tokio::test]
async fn a_body_not_declared_json_is_refused_with_415_in_each_dialect() {
    let t = TestApp::new().await;
    let login = json!({"username": ADMIN, "password": ADMIN_PASSWORD}).to_string();
    for ct in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
    ] {
        let r = with_type(&t, Method::POST, "/v1/tokens", &[], ct, &login).await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{ct:?}: {}",
            r.text
        );
        assert_eq!(r.body["errorCode"], "UNSUPPORTED_MEDIA_TYPE", "{}", r.text);
    }
    let r = with_type(
        &t,
        Method::POST,
        "/v1/tokens",
        &[],
        Some("application/json; charset=utf-8"),
        &login,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // JSON-RPC: refused at the HTTP level and in the envelope.
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "invoke", "params": {}}).to_string();
    let r = with_type(&t, Method::POST, "/api", &[], Some("text/plain"), &call).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.body["jsonrpc"], "2.0", "{}", r.text);
    assert!(
        r.body["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.invalid_request"]
            .is_object(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_query_parameter_given_twice_or_unknown_is_refused() {
    let t = TestApp::new().await;
    let bearer = format!("Bearer {}", t.bearer(ADMIN, ADMIN_PASSWORD).await);
    let auth = [("authorization", bearer.as_str())];
    for uri in [
        "/fleet-lcm/v1/depot-metadata?action=sync&action=sync",
        "/fleet-lcm/v1/tasks?pageSize=1&pageSize=2",
        "/fleet-lcm/v1/tasks?bogus=1",
    ] {
        let method = if uri.contains("depot-metadata") {
            Method::POST
        } else {
            Method::GET
        };
        let r = t.send(method, uri, &auth, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
        assert!(r.body["code"].is_string(), "{uri}: {}", r.text);
    }
    let r = t
        .send(
            Method::DELETE,
            "/v1/system/settings/depot?depotType=ONLINE&depotType=OFFLINE",
            &auth,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.body["errorCode"].is_string(), "{}", r.text);

    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let r = t
        .send(
            Method::GET,
            "/api/cis/tasks?status=RUNNING&status=FAILED&action=x&action=y",
            &[("vmware-api-session-id", &session)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.body["error_type"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn the_operations_endpoints_answer_a_wrong_method_in_json() {
    let t = TestApp::new().await;
    for path in ["/health", "/metrics"] {
        let r = t.send(Method::POST, path, &[], None).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.body["code"], "METHOD_NOT_ALLOWED", "{path}: {}", r.text);
        assert!(r.body["referenceId"].is_string(), "{path}: {}", r.text);
        assert!(r.headers.get("allow").is_some(), "{path}");
    }
}
