//! vAPI JSON-RPC 2.0 at `POST /api`, the protocol of the official Python SDK.
//!
//! Every answer is HTTP 200 with the request's `id` echoed (or `null` when it cannot be
//! read) and either `result.output` or `result.error`, a typed vAPI standard error.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depot_auth::Secret;
use depot_http::{ClientAddr, Credentials, JsonBody, Problem, Services};
use depot_model::{ErrorKind, Message};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::sync::Arc;

use super::VsphereState;
use super::codec::{Typed, decode, encode_error};
use super::registry::{Ctx, Operation, Registry};
use super::types::Type;
use crate::error::VsphereFamily;

/// Security scheme of user name and password.
pub const SCHEME_USER_PASS: &str = "com.vmware.vapi.std.security.user_pass";
/// Security scheme of a session id.
pub const SCHEME_SESSION_ID: &str = "com.vmware.vapi.std.security.session_id";

/// `POST /api`.
pub async fn endpoint<S>(
    State(state): State<VsphereState<S>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let (id, outcome) = match body.map(|bytes| JsonBody::new(bytes, &headers)) {
        Ok(body) => match body.check_type() {
            Ok(()) => {
                let base_url = Services::from_ref(&state.app).public.for_request(&headers);
                invoke(&state, Caller { client, base_url }, body.bytes()).await
            }
            Err(problem) => (Value::Null, Err(problem)),
        },
        Err(e) => (
            Value::Null,
            Err(invalid_request(format!(
                "The request cannot be read: {}",
                e.body_text()
            ))),
        ),
    };
    let results = |s: &str, o: &str| state.registry.task_result(s, o);
    let result = match &outcome {
        Ok(output) => Reply::Output(Typed {
            value: &output.value,
            ty: output.ty,
            results: &results,
        }),
        Err(problem) => {
            if problem.kind == ErrorKind::Internal {
                tracing::warn!(code = problem.code, "JSON-RPC call failed internally");
            }
            let status = <VsphereFamily as depot_http::Family>::status(problem);
            let body = <VsphereFamily as depot_http::Family>::body(problem, status, "");
            Reply::Error(encode_error(&body))
        }
    };
    // Errors travel in the envelope with 200, as vAPI does; only a body that is not
    // JSON at all is also refused at the HTTP level.
    let status = match &outcome {
        Err(problem) if problem.status == Some(StatusCode::UNSUPPORTED_MEDIA_TYPE) => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        _ => StatusCode::OK,
    };
    match serde_json::to_vec(&Envelope { id: &id, result }) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// `{"jsonrpc": "2.0", "id": …, "result": {"output" | "error": …}}`.
struct Envelope<'a> {
    id: &'a Value,
    result: Reply<'a>,
}

enum Reply<'a> {
    Output(Typed<'a>),
    Error(Value),
}

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Result<'b>(&'b Reply<'b>);
        impl Serialize for Result<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(1))?;
                match self.0 {
                    Reply::Output(typed) => m.serialize_entry("output", typed)?,
                    Reply::Error(error) => m.serialize_entry("error", error)?,
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("jsonrpc", "2.0")?;
        m.serialize_entry("id", self.id)?;
        m.serialize_entry("result", &Result(&self.result))?;
        m.end()
    }
}

/// Parses and runs one request; returns the id to echo and the typed output.
/// Who called, and how they reached the server.
struct Caller {
    client: String,
    base_url: String,
}

async fn invoke<S>(
    state: &VsphereState<S>,
    caller: Caller,
    bytes: &[u8],
) -> (Value, Result<Output, Problem>)
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let (id, parsed) = parse(&state.registry, bytes);
    let outcome = match parsed {
        Ok(request) => run(state, caller, request).await,
        Err(problem) => Err(problem),
    };
    (id, outcome)
}

/// A request that parsed: the operation to run, with its decoded input.
pub struct Request<S> {
    /// The operation.
    pub op: Arc<Operation<S>>,
    /// Invoked as `<op>$task`.
    pub as_task: bool,
    /// From `securityCtx`.
    pub credentials: Option<Credentials>,
    /// The canonical `operation-input` fields.
    pub input: serde_json::Map<String, Value>,
}

/// Parses a JSON-RPC request body: the id to echo (`null` when unreadable) and the
/// request, or the vAPI error to answer with. Pure: the fuzz target drives it.
pub fn parse<S>(registry: &Registry<S>, bytes: &[u8]) -> (Value, Result<Request<S>, Problem>)
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let request: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return (
                Value::Null,
                Err(invalid_request(format!(
                    "The request is not valid JSON: {e}"
                ))),
            );
        }
    };
    match request.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => {
            (id.clone(), parse_invocation(registry, &request))
        }
        _ => (
            Value::Null,
            Err(invalid_request(
                "The request has no id (string or number)".to_owned(),
            )),
        ),
    }
}

fn parse_invocation<S>(registry: &Registry<S>, request: &Value) -> Result<Request<S>, Problem>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid_request("jsonrpc must be \"2.0\"".to_owned()));
    }
    if request.get("method").and_then(Value::as_str) != Some("invoke") {
        return Err(invalid_request("method must be \"invoke\"".to_owned()));
    }
    let params = request
        .get("params")
        .filter(|p| p.is_object())
        .ok_or_else(|| invalid_request("params must be an object".to_owned()))?;
    let text = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or_default();
    let (service, operation) = (text("serviceId"), text("operationId"));
    let (base, as_task) = operation
        .strip_suffix("$task")
        .map_or((operation, false), |b| (b, true));
    let op = registry
        .find(service, base)
        .filter(|op| !as_task || op.task_result.is_some())
        .ok_or_else(|| operation_not_found(service, operation))?
        .clone();
    let credentials = credentials(params.get("ctx").and_then(|c| c.get("securityCtx")))?;
    let input = params.get("input").unwrap_or(&Value::Null);
    let input = match decode(input, &Type::Struct(op.input), "operation-input") {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => serde_json::Map::new(),
        Err(e) => return Err(Problem::invalid("INVALID_ARGUMENT", e.to_string())),
    };
    Ok(Request {
        op,
        as_task,
        credentials,
        input,
    })
}

async fn run<S>(
    state: &VsphereState<S>,
    caller: Caller,
    request: Request<S>,
) -> Result<Output, Problem>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let Request {
        op,
        as_task,
        credentials,
        input,
    } = request;
    let ctx = Ctx {
        state: state.app.clone(),
        credentials,
        principal: None,
        client: caller.client,
        base_url: caller.base_url,
    };
    let output = state
        .registry
        .execute(&op, ctx, move || Ok(input), as_task)
        .await?;
    let ty = if as_task { &Type::String } else { op.output };
    Ok(Output { value: output, ty })
}

/// An operation's canonical output and the type to encode it with.
struct Output {
    value: Value,
    ty: &'static Type,
}

/// Reads `securityCtx`: user/password, a session id, or nothing.
fn credentials(ctx: Option<&Value>) -> Result<Option<Credentials>, Problem> {
    let Some(ctx) = ctx.filter(|c| !c.is_null()) else {
        return Ok(None);
    };
    let text = |name: &str| ctx.get(name).and_then(Value::as_str);
    match text("schemeId") {
        Some(SCHEME_USER_PASS) => match (text("userName"), text("password")) {
            (Some(user), Some(password)) => Ok(Some(Credentials::Basic {
                user: user.to_owned(),
                password: Secret::new(password),
            })),
            _ => Err(unauthenticated(
                "The user_pass scheme needs userName and password",
            )),
        },
        Some(SCHEME_SESSION_ID) => text("sessionId")
            .map(|id| Some(Credentials::SessionId(Secret::new(id))))
            .ok_or_else(|| unauthenticated("The session_id scheme needs a sessionId")),
        Some(other) => Err(unauthenticated(&format!(
            "Security scheme {other} is not supported"
        ))),
        None => Err(unauthenticated("securityCtx has no schemeId")),
    }
}

fn invalid_request(text: String) -> Problem {
    Problem::new(
        ErrorKind::Invalid,
        "INVALID_REQUEST",
        Message::new("com.vmware.vapi.invalid_request", text),
    )
    .with_status(StatusCode::BAD_REQUEST)
}

fn operation_not_found(service: &str, operation: &str) -> Problem {
    Problem::new(
        ErrorKind::NotFound,
        "OPERATION_NOT_FOUND",
        Message::new(
            "com.vmware.vapi.operation_not_found",
            format!("Operation {operation} of service {service} does not exist"),
        )
        .arg("service", service)
        .arg("operation", operation),
    )
}

fn unauthenticated(text: &str) -> Problem {
    Problem::new(
        ErrorKind::Unauthenticated,
        "UNAUTHENTICATED",
        Message::new("com.vmware.vapi.unauthenticated", text),
    )
}
