#![doc = include_str!("../README.md")]

mod error;
pub mod ops;
mod task_view;
pub mod vapi;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use depot_http::Services;

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

/// This crate's operations (CIS sessions and tasks) plus `extra`, the operations of the
/// other vSphere families.
pub fn registry<S>(extra: Vec<Operation<S>>) -> Registry<S>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let mut all = ops::all();
    all.extend(extra);
    Registry::new(all)
}
