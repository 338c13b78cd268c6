#![doc = include_str!("../README.md")]

mod error;
pub mod ops;
mod task_view;
pub mod vapi;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use depot_http::Services;

pub use error::VsphereFamily;
use vapi::VsphereState;
pub use vapi::registry::{Operation, Registry};

/// The `/api` routes (to be nested at `/api`): JSON-RPC at `POST /api` and the REST
/// form of every registered operation — this crate's CIS operations plus `extra`
/// (the other vSphere families' operations).
pub fn router(services: Services, extra: Vec<&'static Operation>) -> Router {
    let state = VsphereState {
        services,
        registry: Arc::new(registry(extra)),
    };
    vapi::rest::routes(&state)
        // vAPI JSON-RPC 2.0: every operation of the registry.
        .route("/", post(vapi::jsonrpc::endpoint))
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<VsphereFamily>,
        ))
        .with_state(state)
}

/// This crate's operations plus `extra`.
pub fn registry(extra: Vec<&'static Operation>) -> Registry {
    let mut all = ops::all();
    all.extend(extra);
    Registry::new(all)
}
