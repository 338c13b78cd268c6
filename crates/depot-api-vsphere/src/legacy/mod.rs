//! vCenter 6.5–7's legacy `/rest` API, for older clients (Ansible's vmware.vmware_rest
//! 1.x and others): every answer is wrapped as `{"value": …}`, every error as
//! `{"type": "<error id>", "value": {…}}` ([`LegacyFamily`]). Only the session
//! service is served: it runs the registry's `com.vmware.cis.session` operations, so
//! a session opened here is the one `/api` and JSON-RPC know, and the reverse.

mod error;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use depot_http::{ApiRoutes, RouteDoc, Services};

pub use error::LegacyFamily;

use crate::vapi::VsphereState;
use crate::vapi::registry::Registry;

/// How the login's session cookie is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookie {
    /// Mark it `Secure`: the server speaks HTTPS. (Served as plain HTTP, a client
    /// would never send a `Secure` cookie back.)
    pub secure: bool,
}

/// State of the legacy routes.
pub struct LegacyState<S> {
    /// The application state and the operation registry.
    pub vsphere: VsphereState<S>,
    /// How the login's cookie is set.
    pub cookie: SessionCookie,
}

impl<S: Clone> Clone for LegacyState<S> {
    fn clone(&self) -> Self {
        Self {
            vsphere: self.vsphere.clone(),
            cookie: self.cookie,
        }
    }
}

/// The `/rest` routes (to be nested at `/rest`) over the application state `app`.
pub fn router<S>(app: S, registry: Arc<Registry<S>>, cookie: SessionCookie) -> Router
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    let (router, _) = routes::<S>().into_parts();
    router
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<LegacyFamily>,
        ))
        .with_state(LegacyState {
            vsphere: VsphereState { app, registry },
            cookie,
        })
}

/// Answers `/rest/` itself (which a router nested at `/rest` does not see) as the
/// legacy routes answer any unknown path.
#[expect(clippy::unused_async, reason = "an axum handler is an async function")]
pub async fn unknown_root(method: axum::http::Method, uri: axum::extract::OriginalUri) -> Response {
    depot_http::render::<LegacyFamily>(&depot_http::Problem::no_route(method.as_str(), uri.path()))
}

/// The documentation of the `/rest` routes (paths below `/rest`).
pub fn route_docs<S>() -> Vec<RouteDoc>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    routes::<S>().into_parts().1
}

/// Every route, declared once for the router and its documentation.
fn routes<S>() -> ApiRoutes<LegacyState<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    const PATH: &str = "/com/vmware/cis/session";
    ApiRoutes::new("vsphere-legacy")
        // com.vmware.cis.session create (Basic → id and cookie); `?~action=get`: get.
        .route(
            Method::POST,
            PATH,
            (
                "com.vmware.cis.session.create",
                "com.vmware.cis.session create (?~action=get: get)",
                StatusCode::OK,
            ),
            session::post::<S>,
        )
        // com.vmware.cis.session get.
        .route(
            Method::GET,
            PATH,
            (
                "com.vmware.cis.session.get",
                "com.vmware.cis.session get",
                StatusCode::OK,
            ),
            session::get::<S>,
        )
        // com.vmware.cis.session delete.
        .route(
            Method::DELETE,
            PATH,
            (
                "com.vmware.cis.session.delete",
                "com.vmware.cis.session delete",
                StatusCode::OK,
            ),
            session::delete::<S>,
        )
}
