#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod task_view;
mod wire;

use axum::Router;
use axum::routing::{get, post};
use depot_http::Services;

pub use error::VsphereFamily;

/// The `/api` routes (to be nested at `/api`), in the order of the contract.
pub fn router(services: Services) -> Router {
    Router::new()
        // com.vmware.cis.session: create, get, delete
        .route(
            "/session",
            post(routes::session::create)
                .get(routes::session::get)
                .delete(routes::session::delete),
        )
        // com.vmware.cis.tasks: list
        .route("/cis/tasks", get(routes::tasks::list))
        // com.vmware.cis.tasks: get
        .route("/cis/tasks/{task}", get(routes::tasks::get))
        // com.vmware.cis.tasks: cancel (`?action=cancel`, or bare POST as in the bindings)
        .route("/cis/tasks/{task}", post(routes::tasks::cancel))
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<VsphereFamily>,
        ))
        .with_state(services)
}
