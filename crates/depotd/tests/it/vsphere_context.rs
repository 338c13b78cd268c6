//! What an operation learns from its request besides its input: the public base URL
//! (configured, or from `Host`), and input fields the REST form reads from headers
//! (`Client-Token`), with the same input over JSON-RPC.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_api_vsphere::vapi::registry::{Auth, Ctx, Operation, RestBody};
use depot_http::Problem;
use depotd::app::App;
use serde_json::{Value, json};

use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp};

depot_api_vsphere::vapi_struct! {
    #[vapi("com.vmware.depotd.test.echo_result")]
    struct EchoResult {
        base_url: String,
        client_token: Option<String>,
        name: String,
    }
}

depot_api_vsphere::vapi_struct! {
    #[vapi("operation-input")]
    struct EchoInput {
        name: String,
        client_token: Option<String>,
    }
}

async fn echo(ctx: Ctx<App>, input: EchoInput) -> Result<EchoResult, Problem> {
    Ok(EchoResult {
        base_url: ctx.base_url,
        client_token: input.client_token,
        name: input.name,
    })
}

async fn app(public_url: Option<&str>) -> TestApp {
    let public_url = public_url.map(str::to_owned);
    let mut t = TestApp::with(move |c| c.public_url = public_url, Vec::new()).await;
    t.app.extra_vsphere_operations = vec![
        Operation::new("com.vmware.depotd.test", "echo", Auth::Session, echo)
            .rest(Method::POST, "/depotd-test/echo", StatusCode::OK)
            .body(RestBody::Fields)
            .header("Client-Token", "client_token"),
    ];
    t.router = t.app.router();
    t
}

async fn rest(t: &TestApp, session: &str, host: &str, token: Option<&str>) -> Value {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/api/depotd-test/echo")
        .header("host", host)
        .header("vmware-api-session-id", session)
        .header("content-type", "application/json");
    if let Some(token) = token {
        b = b.header("Client-Token", token);
    }
    let r = t
        .call(
            b.body(Body::from(json!({"name": "n"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn the_base_url_comes_from_host_unless_configured() {
    let t = app(None).await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let body = rest(&t, &session, "depot.example.com:8443", None).await;
    assert_eq!(body["base_url"], "https://depot.example.com:8443");
    // A Host that is not a host is not echoed into URLs.
    let body = rest(&t, &session, "evil.example/path?x", None).await;
    assert_eq!(body["base_url"], "https://127.0.0.1:8443");

    let t = app(Some("https://public.example.com/")).await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let body = rest(&t, &session, "internal:8443", None).await;
    assert_eq!(body["base_url"], "https://public.example.com");
}

#[tokio::test]
async fn a_header_bound_field_reads_the_header_over_rest_and_the_input_over_json_rpc() {
    let t = app(None).await;
    let session = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let body = rest(&t, &session, "h", Some("7f4c3c5e-token")).await;
    assert_eq!(body["client_token"], "7f4c3c5e-token");
    assert_eq!(body["name"], "n");
    let body = rest(&t, &session, "h", None).await;
    assert!(body["client_token"].is_null(), "{body}");

    let call = json!({
        "jsonrpc": "2.0", "id": "1", "method": "invoke",
        "params": {
            "serviceId": "com.vmware.depotd.test", "operationId": "echo",
            "input": {"STRUCTURE": {"operation-input": {
                "name": "n", "client_token": {"OPTIONAL": "rpc-token"}}}},
            "ctx": {"appCtx": {}, "securityCtx": {
                "schemeId": "com.vmware.vapi.std.security.session_id",
                "sessionId": session}}
        }
    });
    let r = t
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/api")
                .header("host", "rpc.example.com")
                .header("content-type", "application/json")
                .body(Body::from(call.to_string()))
                .unwrap(),
        )
        .await;
    let output = &r.body["result"]["output"];
    let fields = &output["STRUCTURE"]["com.vmware.depotd.test.echo_result"];
    assert_eq!(
        fields["client_token"]["OPTIONAL"], "rpc-token",
        "{}",
        r.text
    );
    assert_eq!(fields["base_url"], "https://rpc.example.com", "{}", r.text);
}
