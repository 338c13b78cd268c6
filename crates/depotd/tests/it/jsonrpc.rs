//! vAPI JSON-RPC at `POST /api`: the protocol of the official Python SDK.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

pub(crate) fn request_ref(
    id: &str,
    service: &str,
    operation: &str,
    input: &Value,
    security: &Value,
) -> String {
    json!({
        "jsonrpc": "2.0", "method": "invoke", "id": id,
        "params": {"serviceId": service, "operationId": operation, "input": input,
                   "ctx": {"appCtx": {"opId": "test"}, "securityCtx": security}}
    })
    .to_string()
}

/// Shorthand taking owned values, as the call sites build them inline.
#[expect(
    clippy::needless_pass_by_value,
    reason = "call sites build the values inline"
)]
pub(crate) fn request(
    id: &str,
    service: &str,
    operation: &str,
    input: Value,
    security: Value,
) -> String {
    request_ref(id, service, operation, &input, &security)
}

pub(crate) fn no_input() -> Value {
    json!({"STRUCTURE": {"operation-input": {}}})
}

pub(crate) fn user_pass(user: &str, password: &str) -> Value {
    json!({"schemeId": "com.vmware.vapi.std.security.user_pass", "userName": user, "password": password})
}

pub(crate) fn session(id: &str) -> Value {
    json!({"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": id})
}

pub(crate) async fn rpc(t: &TestApp, body: &str) -> Value {
    let r = t
        .send(Method::POST, "/api", &[("vapi-service", "x")], Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["jsonrpc"], "2.0");
    r.body
}

pub(crate) fn error_name(reply: &Value) -> String {
    let e = reply["result"]["error"]["ERROR"]
        .as_object()
        .unwrap_or_else(|| panic!("no error in {reply}"));
    e.keys().next().unwrap().clone()
}

pub(crate) async fn login(t: &TestApp) -> String {
    let r = rpc(
        t,
        &request(
            "1",
            "com.vmware.cis.session",
            "create",
            no_input(),
            user_pass(ADMIN, ADMIN_PASSWORD),
        ),
    )
    .await;
    assert_eq!(r["id"], "1");
    r["result"]["output"]["SECRET"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

#[tokio::test]
async fn session_create_get_delete() {
    let t = TestApp::new().await;
    let id = login(&t).await;
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
    let info = &r["result"]["output"]["STRUCTURE"]["com.vmware.cis.session.info"];
    assert_eq!(info["user"], "VSPHERE.LOCAL\\administrator", "{r}");
    assert!(info["created_time"].as_str().unwrap().ends_with('Z'));
    // The REST door sees the same session.
    let rest = t
        .send(
            Method::GET,
            "/api/session",
            &[("vmware-api-session-id", &id)],
            None,
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK);
    let r = rpc(
        &t,
        &request(
            "3",
            "com.vmware.cis.session",
            "delete",
            no_input(),
            session(&id),
        ),
    )
    .await;
    assert_eq!(r["result"], json!({"output": null}));
    let r = rpc(
        &t,
        &request(
            "4",
            "com.vmware.cis.session",
            "get",
            no_input(),
            session(&id),
        ),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthenticated");
    let r = rpc(
        &t,
        &request(
            "5",
            "com.vmware.cis.session",
            "create",
            no_input(),
            user_pass(ADMIN, "wrong"),
        ),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthenticated");
    let messages =
        &r["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.unauthenticated"]["messages"];
    assert!(
        messages[0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["default_message"]
            .is_string()
    );
}

#[tokio::test]
async fn tasks_get_list_cancel_with_typed_values() {
    let t = TestApp::with(|_| {}, Vec::<Arc<dyn depot_tasks::Job>>::new()).await;
    let id = login(&t).await;
    let task = t
        .app
        .services
        .tasks
        .submit(depotd::jobs::BlobGc::task(ADMIN))
        .await
        .unwrap();
    t.app.services.tasks.run_pending().await.unwrap();
    let input = json!({"STRUCTURE": {"operation-input": {"task": task.id.to_string(), "spec": {"OPTIONAL": null}}}});
    let r = rpc(
        &t,
        &request("7", "com.vmware.cis.tasks", "get", input, session(&id)),
    )
    .await;
    let info = &r["result"]["output"]["STRUCTURE"]["com.vmware.cis.task.info"];
    assert_eq!(info["status"], "SUCCEEDED", "{r}");
    assert_eq!(info["cancelable"], false);
    assert_eq!(info["error"], json!({"OPTIONAL": null}));
    let progress = &info["progress"]["OPTIONAL"]["STRUCTURE"]["com.vmware.cis.task.progress"];
    assert_eq!(progress["completed"], progress["total"]);
    assert!(info["start_time"]["OPTIONAL"].is_string());
    assert!(
        info["description"]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["args"]
            .is_array()
    );
    let result = &info["result"]["OPTIONAL"]["STRUCTURE"];
    assert!(result.is_object(), "a task result is a structure: {r}");

    let filter = json!({"STRUCTURE": {"operation-input": {
        "filter_spec": {"OPTIONAL": {"STRUCTURE": {"com.vmware.cis.tasks.filter_spec": {"status": {"OPTIONAL": ["SUCCEEDED"]}}}}},
        "result_spec": {"OPTIONAL": null}}}});
    let r = rpc(
        &t,
        &request("8", "com.vmware.cis.tasks", "list", filter, session(&id)),
    )
    .await;
    let entries = r["result"]["output"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["STRUCTURE"]["map-entry"]["key"],
        task.id.to_string()
    );

    let cancel = json!({"STRUCTURE": {"operation-input": {"task": task.id.to_string()}}});
    let r = rpc(
        &t,
        &request("9", "com.vmware.cis.tasks", "cancel", cancel, session(&id)),
    )
    .await;
    assert_eq!(
        error_name(&r),
        "com.vmware.vapi.std.errors.not_allowed_in_current_state"
    );
    let unknown =
        json!({"STRUCTURE": {"operation-input": {"task": uuid::Uuid::new_v4().to_string()}}});
    let r = rpc(
        &t,
        &request("10", "com.vmware.cis.tasks", "get", unknown, session(&id)),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.not_found");
}

#[tokio::test]
async fn privileges_are_checked_as_on_rest() {
    let t = TestApp::new().await;
    t.add_user(
        "ro@vsphere.local",
        depot_model::Role::ReadOnly,
        "read-only-pw",
    )
    .await;
    let r = rpc(
        &t,
        &request(
            "1",
            "com.vmware.cis.session",
            "create",
            no_input(),
            user_pass("ro@vsphere.local", "read-only-pw"),
        ),
    )
    .await;
    let id = r["result"]["output"]["SECRET"].as_str().unwrap().to_owned();
    let cancel =
        json!({"STRUCTURE": {"operation-input": {"task": uuid::Uuid::new_v4().to_string()}}});
    let r = rpc(
        &t,
        &request("2", "com.vmware.cis.tasks", "cancel", cancel, session(&id)),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthorized");
    let r = rpc(
        &t,
        &request(
            "3",
            "com.vmware.cis.tasks",
            "list",
            json!({"STRUCTURE": {"operation-input": {}}}),
            session(&id),
        ),
    )
    .await;
    assert!(r["result"]["output"].is_array(), "{r}");
    let r = rpc(
        &t,
        &request(
            "4",
            "com.vmware.cis.tasks",
            "list",
            json!({"STRUCTURE": {"operation-input": {}}}),
            json!(null),
        ),
    )
    .await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.unauthenticated");
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of malformed requests")]
async fn bad_requests_get_vapi_errors_in_well_formed_responses() {
    let t = TestApp::new().await;
    let id = login(&t).await;
    let valid = request(
        "42",
        "com.vmware.cis.tasks",
        "list",
        json!({"STRUCTURE": {"operation-input": {}}}),
        session(&id),
    );
    let cases: Vec<(String, Value, &str)> = vec![
        (
            valid[..valid.len() / 2].to_owned(),
            Value::Null,
            "invalid_request",
        ),
        (
            valid.replace("\"2.0\"", "\"1.0\""),
            json!("42"),
            "invalid_request",
        ),
        (
            valid.replace("\"id\":\"42\"", "\"idx\":\"42\""),
            Value::Null,
            "invalid_request",
        ),
        (
            valid.replace("\"invoke\"", "\"call\""),
            json!("42"),
            "invalid_request",
        ),
        (
            request("43", "com.vmware.nope", "list", no_input(), session(&id)),
            json!("43"),
            "operation_not_found",
        ),
        (
            request(
                "44",
                "com.vmware.cis.tasks",
                "explode",
                no_input(),
                session(&id),
            ),
            json!("44"),
            "operation_not_found",
        ),
        (
            request(
                "45",
                "com.vmware.cis.tasks",
                "get$task",
                no_input(),
                session(&id),
            ),
            json!("45"),
            "operation_not_found",
        ),
        (
            request(
                "46",
                "com.vmware.cis.tasks",
                "list",
                no_input(),
                json!({"schemeId": "com.vmware.vapi.std.security.saml_hok_token"}),
            ),
            json!("46"),
            "unauthenticated",
        ),
        (
            request(
                "47",
                "com.vmware.cis.tasks",
                "list",
                no_input(),
                session("expired-or-unknown"),
            ),
            json!("47"),
            "unauthenticated",
        ),
        (
            request(
                "48",
                "com.vmware.cis.tasks",
                "get",
                json!({"STRUCTURE": {"wrong-id": {"task": "x"}}}),
                session(&id),
            ),
            json!("48"),
            "invalid_argument",
        ),
        (
            request(
                "49",
                "com.vmware.cis.tasks",
                "get",
                json!({"STRUCTURE": {"operation-input": {"task": 5}}}),
                session(&id),
            ),
            json!("49"),
            "invalid_argument",
        ),
        (
            request(
                "50",
                "com.vmware.cis.tasks",
                "get",
                json!({"STRUCTURE": {"operation-input": {}}}),
                session(&id),
            ),
            json!("50"),
            "invalid_argument",
        ),
        (
            request(
                "51",
                "com.vmware.cis.tasks",
                "list",
                json!({"STRUCTURE": {"operation-input": {"filter_spec": {"OPTIONAL": {"STRUCTURE": {"com.vmware.cis.tasks.filter_spec": {"status": {"OPTIONAL": ["NOPE"]}}}}}}}}),
                session(&id),
            ),
            json!("51"),
            "invalid_argument",
        ),
        ("[1, 2, 3]".to_owned(), Value::Null, "invalid_request"),
        (String::new(), Value::Null, "invalid_request"),
    ];
    for (body, id_echo, error) in cases {
        let r = rpc(&t, &body).await;
        assert_eq!(r["id"], id_echo, "{body}: {r}");
        assert_eq!(
            error_name(&r),
            format!("com.vmware.vapi.std.errors.{error}"),
            "{body}: {r}"
        );
    }
    // Wrong field types name the field.
    let r = rpc(
        &t,
        &request(
            "60",
            "com.vmware.cis.tasks",
            "get",
            json!({"STRUCTURE": {"operation-input": {"task": 5}}}),
            session(&id),
        ),
    )
    .await;
    let text =
        r["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.invalid_argument"]["messages"][0]
            ["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["default_message"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(text.contains("operation-input.task"), "{text}");
}

#[tokio::test]
async fn huge_inputs_are_refused_inside_json_rpc() {
    let t = TestApp::with(|c| c.max_body_bytes = 4096, Vec::new()).await;
    let body = request(
        "1",
        "com.vmware.cis.tasks",
        "list",
        json!({"STRUCTURE": {"operation-input": {"x": "a".repeat(10_000)}}}),
        json!(null),
    );
    let r = rpc(&t, &body).await;
    assert_eq!(error_name(&r), "com.vmware.vapi.std.errors.invalid_request");
    // Deeply nested input is refused without a stack overflow.
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let body = request(
        "2",
        "com.vmware.cis.tasks",
        "list",
        serde_json::from_str(&deep).unwrap(),
        json!(null),
    );
    let t = TestApp::new().await;
    let r = rpc(&t, &body).await;
    assert!(r["result"]["error"].is_object(), "{r}");
}
