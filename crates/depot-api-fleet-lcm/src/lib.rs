#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod task_view;
mod wire;

use axum::Router;
use axum::routing::{get, post};
use depot_http::Services;

pub use error::FleetFamily;

/// The family's routes, to be nested at `/fleet-lcm`, in the order of the contract.
pub fn router(services: Services) -> Router {
    Router::new()
        // vcf.fleet_lcm.v1.tasks / get_tasks
        .route("/v1/tasks", get(routes::tasks::list))
        // get_task
        .route("/v1/tasks/{task_id}", get(routes::tasks::get))
        // retry_task, cancel_task (`?action=retry|cancel`)
        .route("/v1/tasks/{task_id}", post(routes::tasks::action))
        // vcf.fleet_lcm.v1.health / get_health
        .route("/v1/health", get(routes::health::get))
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<FleetFamily>,
        ))
        .with_state(services)
}
