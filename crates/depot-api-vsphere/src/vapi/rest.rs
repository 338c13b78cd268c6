//! The `/api` REST binding of registered operations: path, query and body in,
//! canonical input to the operation, canonical output back as the response body.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use depot_http::{ClientAddr, Credentials, JsonBody, Problem, QueryPairs, Services};
use serde_json::{Map, Value};

use super::VsphereState;
use super::registry::{Ctx, Operation, RestBody};
use super::types::{StructType, Type};

/// Routes for every operation with a REST binding, grouped by path and method.
///
/// # Panics
/// When a binding uses a method axum cannot route (bindings use GET, POST, PUT,
/// PATCH and DELETE): a programming error, found by every test that builds the router.
pub fn routes<S>(state: &VsphereState<S>) -> Router<VsphereState<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let mut by_route: BTreeMap<(&'static str, String), Vec<Arc<Operation<S>>>> = BTreeMap::new();
    for op in state.registry.operations() {
        if let Some(rest) = &op.rest {
            by_route
                .entry((rest.path, rest.method.to_string()))
                .or_default()
                .push(Arc::clone(op));
        }
    }
    let mut router = Router::new();
    for ((path, _), ops) in by_route {
        let method = ops[0].rest.as_ref().map(|r| r.method.clone());
        let filter = method
            .and_then(|m| MethodFilter::try_from(m).ok())
            .unwrap_or_else(|| {
                panic!("{path}: vSphere REST bindings use GET, POST, PUT, PATCH or DELETE")
            });
        let ops = Arc::new(ops);
        router = router.route(
            path,
            on(filter, move |state, path, query, headers, client, body| {
                dispatch(Arc::clone(&ops), state, path, query, headers, client, body)
            }),
        );
    }
    router
}

async fn dispatch<S>(
    ops: Arc<Vec<Arc<Operation<S>>>>,
    State(state): State<VsphereState<S>>,
    Path(path): Path<HashMap<String, String>>,
    query: QueryPairs,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    body: JsonBody,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let action = match query.get("action") {
        Ok(action) => action,
        Err(problem) => return problem.into_response(),
    };
    let matching: Vec<&Arc<Operation<S>>> = ops
        .iter()
        .filter(|o| o.rest.as_ref().and_then(|r| r.action) == action)
        .collect();
    // An operation may be selected by a query parameter's presence (`…/file?file_name=`
    // is `get`, `…/file` is `list`); else by which required inputs the query gives.
    let selected = |o: &Arc<Operation<S>>| {
        o.rest
            .as_ref()
            .and_then(|r| r.selected_by)
            .map(|name| query.get(name).is_ok_and(|v| v.is_some()))
    };
    let op = match matching.as_slice() {
        [] => ops.iter().find(|_| action.is_none() && ops.len() == 1),
        [one] => Some(*one),
        many => many
            .iter()
            .copied()
            .find(|o| selected(o) == Some(true))
            .or_else(|| {
                let unselected: Vec<_> = many
                    .iter()
                    .copied()
                    .filter(|o| selected(o).is_none())
                    .collect();
                by_query(&unselected, &path, &query)
            }),
    };
    let Some(op) = op else {
        if action.is_none() {
            // The path is served, but only with an action: say which.
            let actions: Vec<&str> = ops
                .iter()
                .filter_map(|o| o.rest.as_ref().and_then(|r| r.action))
                .collect();
            return Problem::invalid(
                "INVALID_ARGUMENT",
                format!(
                    "this request needs ?action=, one of: {}",
                    actions.join(", ")
                ),
            )
            .into_response();
        }
        let (method, template) = ops
            .first()
            .and_then(|o| o.rest.as_ref())
            .map_or(("", ""), |r| (r.method.as_str(), r.path));
        let target = format!("/api{template}?action={}", action.unwrap_or_default());
        return Problem::no_route(method, &target).into_response();
    };
    let as_task = match query.parsed::<bool>("vmw-task") {
        Ok(as_task) => as_task.unwrap_or(false),
        Err(problem) => return problem.into_response(),
    };
    let result = async {
        let credentials =
            Credentials::session_id(&headers).or_else(|| Credentials::authorization(&headers));
        let services = Services::from_ref(&state.app);
        let ctx = Ctx {
            state: state.app.clone(),
            credentials,
            principal: None,
            client,
            base_url: services.public.for_request(&headers),
        };
        let input = || rest_input(op, &path, &query, &headers, &body);
        state.registry.execute(op, ctx, input, as_task).await
    }
    .await;
    match result {
        Ok(value) if as_task => (StatusCode::ACCEPTED, axum::Json(value)).into_response(),
        Ok(value) => {
            let status = op.rest.as_ref().map_or(StatusCode::OK, |r| r.status);
            if status == StatusCode::NO_CONTENT || value.is_null() && status != StatusCode::OK {
                status.into_response()
            } else {
                (status, axum::Json(value)).into_response()
            }
        }
        Err(problem) => problem.into_response(),
    }
}

/// Of several operations on one route and action (an item's files: list, and get
/// with `?name=`), the one whose required query parameters are all given, the most
/// of them winning.
fn by_query<'a, S>(
    ops: &[&'a Arc<Operation<S>>],
    path: &HashMap<String, String>,
    query: &QueryPairs,
) -> Option<&'a Arc<Operation<S>>> {
    let wanted = |o: &Operation<S>| -> Option<usize> {
        let mut given = 0;
        for f in o.input.fields {
            if matches!(f.ty, Type::Optional(_)) || path.contains_key(f.name) {
                continue;
            }
            if query.all(f.name).is_empty() {
                return None;
            }
            given += 1;
        }
        Some(given)
    };
    ops.iter()
        .filter_map(|o| wanted(o).map(|n| (n, *o)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, o)| o)
}

/// Builds the canonical `operation-input` of a REST request.
fn rest_input<S>(
    op: &Operation<S>,
    path: &HashMap<String, String>,
    query: &QueryPairs,
    headers: &HeaderMap,
    body: &JsonBody,
) -> Result<Map<String, Value>, Problem> {
    let rest = op
        .rest
        .as_ref()
        .ok_or_else(|| Problem::no_route("REST", op.operation))?;
    let body: Value = match rest.body {
        RestBody::None => Value::Null,
        RestBody::Param(_) | RestBody::Fields => body.parse()?,
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
        let header = rest
            .headers
            .iter()
            .find(|(_, field)| *field == f.name)
            .map(|(name, _)| *name);
        let param = rest
            .path_fields
            .iter()
            .find(|(_, field)| *field == f.name)
            .map_or(f.name, |(param, _)| *param);
        let value = if let Some(v) = path.get(param) {
            Value::String(v.clone())
        } else if let Some(name) = header {
            match headers.get(name).map(|v| v.to_str()) {
                None => Value::Null,
                Some(Ok(v)) => Value::String(v.to_owned()),
                Some(Err(_)) => {
                    return Err(Problem::invalid(
                        "INVALID_ARGUMENT",
                        format!("the {name} header is not text"),
                    ));
                }
            }
        } else {
            match rest.body {
                RestBody::Param(name) if name == f.name => body.clone(),
                RestBody::Fields => body.get(f.name).cloned().unwrap_or(Value::Null),
                _ => from_query(query, f.name, f.ty)?,
            }
        };
        let value = super::codec::check(&value, f.ty, f.name)
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
            .get(name)?
            .map_or(Ok(Value::Null), |v| scalar(name, v, ty)),
    }
}

fn struct_from_query(query: &QueryPairs, name: &str, def: &StructType) -> Result<Value, Problem> {
    let mut out = Map::new();
    for f in def.fields {
        let mut v = from_query(query, f.name, f.ty)?;
        if v.is_null() {
            v = from_query(query, &format!("{name}.{}", f.name), f.ty)?;
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
