//! The vAPI machinery shared by both vSphere wire protocols: the type system of
//! operation inputs and outputs (declared once per Rust type), the JSON-RPC codec, the
//! operation registry, and the REST binding that serves registered operations under
//! `/api`.

pub mod codec;
pub mod jsonrpc;
pub mod registry;
pub mod rest;
pub mod std_types;
pub mod typed;
pub mod types;

use std::sync::Arc;

/// State of the vSphere routers: the application state and the operation registry.
pub struct VsphereState<S> {
    /// The application state handlers take their services from.
    pub app: S,
    /// Every vSphere operation.
    pub registry: Arc<registry::Registry<S>>,
}

impl<S: Clone> Clone for VsphereState<S> {
    fn clone(&self) -> Self {
        Self {
            app: self.app.clone(),
            registry: Arc::clone(&self.registry),
        }
    }
}
