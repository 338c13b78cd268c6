//! The vAPI machinery shared by both vSphere wire protocols: the type system of
//! operation inputs and outputs, the JSON-RPC codec, the operation registry, and the
//! REST binding that serves registered operations under `/api`.

pub mod codec;
pub mod jsonrpc;
pub mod registry;
pub mod rest;
pub mod std_types;
pub mod types;

use std::sync::Arc;

use axum::extract::FromRef;
use depot_http::Services;

/// State of the vSphere routers: the services and the operation registry.
#[derive(Clone)]
pub struct VsphereState {
    /// Shared services.
    pub services: Services,
    /// Every vSphere operation.
    pub registry: Arc<registry::Registry>,
}

impl FromRef<VsphereState> for Services {
    fn from_ref(state: &VsphereState) -> Services {
        state.services.clone()
    }
}
