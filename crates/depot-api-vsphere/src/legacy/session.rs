//! `/rest/com/vmware/cis/session`: the registry's session operations in the legacy
//! envelope, with the session cookie vCenter's `/rest` login sets.

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depot_http::{ClientAddr, Credentials, Problem, QueryPairs, Services};
use serde_json::{Map, Value};

use super::{LegacyState, SessionCookie};
use crate::vapi::registry::Ctx;

const SERVICE: &str = "com.vmware.cis.session";
/// Where the legacy API is mounted (the cookie's path).
const MOUNT: &str = "/rest";

/// `POST`: create with `Authorization: Basic`; `?~action=get` (vCenter 6.5's form): get.
pub(super) async fn post<S>(
    State(state): State<LegacyState<S>>,
    query: QueryPairs,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    match query.get("~action") {
        Ok(None) => {
            let credentials = Credentials::authorization(&headers);
            match run(&state, "create", credentials, client, &headers).await {
                Ok(id) => created(&id, state.cookie),
                Err(problem) => problem.into_response(),
            }
        }
        Ok(Some("get")) => get(State(state), headers, ClientAddr(client)).await,
        Ok(Some(action)) => {
            let target = format!("{MOUNT}/com/vmware/cis/session?~action={action}");
            Problem::no_route("POST", &target).into_response()
        }
        Err(problem) => problem.into_response(),
    }
}

/// `GET`: the caller's session, by the `vmware-api-session-id` header or cookie.
pub(super) async fn get<S>(
    State(state): State<LegacyState<S>>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    match run(
        &state,
        "get",
        session_credentials(&headers),
        client,
        &headers,
    )
    .await
    {
        Ok(info) => axum::Json(serde_json::json!({ "value": info })).into_response(),
        Err(problem) => problem.into_response(),
    }
}

/// `DELETE`: ends the caller's session (200, no body).
pub(super) async fn delete<S>(
    State(state): State<LegacyState<S>>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    match run(
        &state,
        "delete",
        session_credentials(&headers),
        client,
        &headers,
    )
    .await
    {
        Ok(_) => StatusCode::OK.into_response(),
        Err(problem) => problem.into_response(),
    }
}

/// Runs the registry's session operation `operation`: the same authentication,
/// throttle and store as `/api/session` and JSON-RPC.
async fn run<S>(
    state: &LegacyState<S>,
    operation: &str,
    credentials: Option<Credentials>,
    client: String,
    headers: &HeaderMap,
) -> Result<Value, Problem>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let registry = &state.vsphere.registry;
    let op = registry
        .find(SERVICE, operation)
        .ok_or_else(|| Problem::no_route("invoke", &format!("{SERVICE}.{operation}")))?;
    let ctx = Ctx {
        state: state.vsphere.app.clone(),
        credentials,
        principal: None,
        client,
        base_url: Services::from_ref(&state.vsphere.app)
            .public
            .for_request(headers),
    };
    registry.execute(op, ctx, || Ok(Map::new()), false).await
}

/// The session id from the header, else from the cookie the login set.
fn session_credentials(headers: &HeaderMap) -> Option<Credentials> {
    Credentials::session_id(headers).or_else(|| Credentials::session_cookie(headers))
}

/// 200 `{"value": "<id>"}` with the session cookie.
fn created(id: &Value, cookie: SessionCookie) -> Response {
    let Some(id) = id.as_str() else {
        return Problem::internal(&"session create answered no string").into_response();
    };
    let secure = if cookie.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={id}; Path={MOUNT}{secure}; HttpOnly",
        depot_http::credentials::SESSION_HEADER
    );
    let Ok(cookie) = HeaderValue::from_str(&cookie) else {
        return Problem::internal(&"a session id that is no header value").into_response();
    };
    let mut response = axum::Json(serde_json::json!({ "value": id })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}
