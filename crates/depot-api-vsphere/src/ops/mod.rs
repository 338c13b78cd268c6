//! The vSphere operations this crate defines, one file per service.

pub mod datastore;
pub mod session;
pub mod tasks;

use axum::extract::FromRef;
use depot_http::Services;

use crate::vapi::registry::Operation;

/// The CIS operations: sessions and tasks.
pub fn all<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let mut ops = session::operations();
    ops.extend(tasks::operations());
    ops
}
