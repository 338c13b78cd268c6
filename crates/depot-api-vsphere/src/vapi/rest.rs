//! The `/api` REST binding of registered operations: path, query and body in,
//! canonical input to the operation, canonical output back as the response body.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use depot_http::{ClientAddr, Credentials, Problem, QueryPairs};
use serde_json::{Map, Value};

use super::VsphereState;
use super::registry::{Call, Operation, RestBody};
use super::types::{StructType, Type};

/// Routes for every operation with a REST binding, grouped by path.
pub fn routes(state: &VsphereState) -> Router<VsphereState> {
    let mut by_path: BTreeMap<&'static str, Vec<&'static Operation>> = BTreeMap::new();
    for op in state.registry.operations() {
        if let Some(rest) = &op.rest {
            by_path.entry(rest.path).or_default().push(op);
        }
    }
    let mut router = Router::new();
    for (path, ops) in by_path {
        let mut by_method: HashMap<&'static str, Vec<&'static Operation>> = HashMap::new();
        for op in ops {
            by_method
                .entry(op.rest.map_or("", |r| r.method))
                .or_default()
                .push(op);
        }
        let mut method_router = axum::routing::MethodRouter::new();
        for (method, ops) in by_method {
            let Some(filter) = method_filter(method) else {
                continue;
            };
            let ops = Arc::new(ops);
            method_router = method_router.merge(on(
                filter,
                move |state, path, query, headers, client, body| {
                    dispatch(Arc::clone(&ops), state, path, query, headers, client, body)
                },
            ));
        }
        router = router.route(path, method_router);
    }
    router
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    match method {
        "GET" => Some(MethodFilter::GET),
        "POST" => Some(MethodFilter::POST),
        "PUT" => Some(MethodFilter::PUT),
        "PATCH" => Some(MethodFilter::PATCH),
        "DELETE" => Some(MethodFilter::DELETE),
        _ => None,
    }
}

async fn dispatch(
    ops: Arc<Vec<&'static Operation>>,
    State(state): State<VsphereState>,
    Path(path): Path<HashMap<String, String>>,
    query: QueryPairs,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    body: Bytes,
) -> Response {
    let action = query.get("action");
    let op = ops
        .iter()
        .find(|o| o.rest.and_then(|r| r.action) == action)
        .or_else(|| ops.iter().find(|_| action.is_none() && ops.len() == 1));
    let Some(op) = op else {
        let (method, template) = ops
            .first()
            .and_then(|o| o.rest)
            .map_or(("", ""), |r| (r.method, r.path));
        let target = format!("/api{template}?action={}", action.unwrap_or_default());
        return Problem::no_route(method, &target).into_response();
    };
    let as_task = query
        .parsed::<bool>("vmw-task")
        .ok()
        .flatten()
        .unwrap_or(false);
    let result = async {
        let input = rest_input(op, &path, &query, &body)?;
        let credentials =
            Credentials::session_id(&headers).or_else(|| Credentials::authorization(&headers));
        let call = Call {
            services: state.services.clone(),
            credentials,
            principal: None,
            input,
            client,
            as_task,
        };
        state.registry.execute(op, call).await
    }
    .await;
    match result {
        Ok(value) if as_task => (StatusCode::ACCEPTED, axum::Json(value)).into_response(),
        Ok(value) => {
            let status = op.rest.map_or(200, |r| r.status);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if status == StatusCode::NO_CONTENT || value.is_null() && status != StatusCode::OK {
                status.into_response()
            } else {
                (status, axum::Json(value)).into_response()
            }
        }
        Err(problem) => problem.into_response(),
    }
}

/// Builds the canonical `operation-input` of a REST request.
fn rest_input(
    op: &Operation,
    path: &HashMap<String, String>,
    query: &QueryPairs,
    body: &[u8],
) -> Result<Map<String, Value>, Problem> {
    let rest = op
        .rest
        .ok_or_else(|| Problem::no_route("REST", op.operation))?;
    let body: Value = match rest.body {
        RestBody::None => Value::Null,
        RestBody::Param(_) | RestBody::Fields => depot_http::json::parse(body)?,
    };
    if rest.body == RestBody::Fields {
        let Value::Object(fields) = &body else {
            return Err(Problem::invalid(
                "INVALID_ARGUMENT",
                "the request body must be a JSON object",
            ));
        };
        if let Some(unknown) = fields.keys().find(|k| op.input.field(k).is_none()) {
            return Err(Problem::invalid(
                "INVALID_ARGUMENT",
                format!("unknown field {unknown:?} in the request body"),
            ));
        }
    }
    let mut input = Map::new();
    for f in op.input.fields {
        let value = if let Some(v) = path.get(f.name) {
            Value::String(v.clone())
        } else {
            match rest.body {
                RestBody::Param(name) if name == f.name => body.clone(),
                RestBody::Fields => body.get(f.name).cloned().unwrap_or(Value::Null),
                _ => from_query(query, f.name, &f.ty)?,
            }
        };
        let value = super::codec::check(&value, &f.ty, f.name)
            .map_err(|e| Problem::invalid("INVALID_ARGUMENT", e.to_string()))?;
        if !value.is_null() {
            input.insert(f.name.to_owned(), value);
        }
    }
    Ok(input)
}

/// Reads parameter `name` of type `ty` from the query; structures are flattened
/// (their fields by name, or prefixed `name.field`).
fn from_query(query: &QueryPairs, name: &str, ty: &Type) -> Result<Value, Problem> {
    match ty {
        Type::Optional(inner) => from_query(query, name, inner),
        Type::Struct(def) => Ok(struct_from_query(query, name, def)?),
        Type::List(inner) => {
            let values: Vec<&str> = query.all(name);
            values
                .iter()
                .map(|v| scalar(name, v, inner))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| {
                    if v.is_empty() {
                        Value::Null
                    } else {
                        Value::Array(v)
                    }
                })
        }
        _ => query
            .get(name)
            .map_or(Ok(Value::Null), |v| scalar(name, v, ty)),
    }
}

fn struct_from_query(query: &QueryPairs, name: &str, def: &StructType) -> Result<Value, Problem> {
    let mut out = Map::new();
    for f in def.fields {
        let mut v = from_query(query, f.name, &f.ty)?;
        if v.is_null() {
            v = from_query(query, &format!("{name}.{}", f.name), &f.ty)?;
        }
        if !v.is_null() {
            out.insert(f.name.to_owned(), v);
        }
    }
    Ok(if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    })
}

fn scalar(name: &str, raw: &str, ty: &Type) -> Result<Value, Problem> {
    let bad = |what: &str| {
        Problem::invalid(
            "INVALID_ARGUMENT",
            format!("query parameter {name}={raw:?} is not {what}"),
        )
    };
    match ty {
        Type::Bool => raw
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| bad("true or false")),
        Type::Int => raw
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer")),
        Type::Double => raw
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| bad("a number")),
        Type::Optional(inner) => scalar(name, raw, inner),
        _ => Ok(Value::String(raw.to_owned())),
    }
}
