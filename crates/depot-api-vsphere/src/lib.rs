#![doc = include_str!("../README.md")]

mod error;
pub mod legacy;
pub mod ops;
mod task_view;
pub mod vapi;
pub mod vum_upload;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use axum::routing::post;
use depot_http::{RouteDoc, Services};

pub use error::{VsphereFamily, error_type};
use vapi::VsphereState;
pub use vapi::registry::{Auth, Ctx, Operation, Registry, RestBody};

/// The `/api` routes (to be nested at `/api`) over the application state `app`:
/// JSON-RPC at `POST /api` and the REST form of every operation of `registry`.
pub fn router<S>(app: S, registry: Arc<Registry<S>>) -> Router
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let state = VsphereState { app, registry };
    vapi::rest::routes(&state)
        // vAPI JSON-RPC 2.0: every operation of the registry.
        .route("/", post(vapi::jsonrpc::endpoint::<S>))
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<VsphereFamily>,
        ))
        .with_state(state)
}

/// The documentation of the `/api` routes (paths below `/api`): JSON-RPC and the REST
/// form of every operation of `registry`, from the same declarations the router
/// serves.
pub fn route_docs<S>(registry: &Registry<S>) -> Vec<RouteDoc>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let jsonrpc = RouteDoc {
        method: Method::POST,
        path: String::new(),
        operation_id: "invoke".to_owned(),
        tag: "vsphere",
        summary: "vAPI JSON-RPC 2.0: every vSphere operation".to_owned(),
        status: StatusCode::OK,
    };
    let rest = registry.operations().iter().filter_map(|op| {
        let rest = op.rest.as_ref()?;
        let id = op.id();
        Some(RouteDoc {
            method: rest.method.clone(),
            path: rest.path.to_owned(),
            // A task-only operation is served with `vmw-task=true` only.
            summary: match (rest.action, op.is_task_only()) {
                (Some(action), false) => format!("{id} (?action={action})"),
                (Some(action), true) => format!("{id} (?action={action}&vmw-task=true)"),
                (None, true) => format!("{id} (?vmw-task=true)"),
                (None, false) => id.clone(),
            },
            operation_id: id,
            tag: "vsphere",
            status: rest.status,
        })
    });
    std::iter::once(jsonrpc).chain(rest).collect()
}

/// This crate's operations (CIS sessions and tasks, content libraries) plus `extra`,
/// the operations of the other vSphere families.
pub fn registry<S>(extra: Vec<Operation<S>>) -> Registry<S>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    depot_library::ContentLibrary: FromRef<S>,
    depot_esx_online::OnlineDepots: FromRef<S>,
    depot_esx_depots::EsxDepots: FromRef<S>,
{
    let mut all = ops::all();
    all.extend(extra);
    Registry::new(all)
}
