#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod task_view;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use depot_http::Services;
use depot_sync::DepotService;

pub use error::FleetFamily;

/// State of the fleet-lcm routes.
#[derive(Clone)]
pub struct FleetState {
    /// Shared services.
    pub services: Services,
    /// Depot settings and syncs.
    pub depot: Arc<DepotService>,
}

impl FromRef<FleetState> for Services {
    fn from_ref(state: &FleetState) -> Services {
        state.services.clone()
    }
}

impl FromRef<FleetState> for Arc<DepotService> {
    fn from_ref(state: &FleetState) -> Arc<DepotService> {
        Arc::clone(&state.depot)
    }
}

/// The family's routes, to be nested at `/fleet-lcm`, in the order of the contract.
pub fn router(services: Services, depot: Arc<DepotService>) -> Router {
    Router::new()
        // vcf.fleet_lcm.v1.depot_metadata / sync_depot_metadata (`?action=sync`)
        .route("/v1/depot-metadata", post(routes::depot_metadata::action))
        // vcf.fleet_lcm.v1.tasks / get_tasks
        .route("/v1/tasks", get(routes::tasks::list))
        // get_task
        .route("/v1/tasks/{task_id}", get(routes::tasks::get))
        // retry_task, cancel_task (`?action=retry|cancel`)
        .route("/v1/tasks/{task_id}", post(routes::tasks::action))
        // vcf.fleet_lcm.v1.release_versions / get_release_versions
        .route("/v1/release-versions", get(routes::release_versions::list))
        // vcf.fleet_lcm.v1.health / get_health
        .route("/v1/health", get(routes::health::get))
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<FleetFamily>,
        ))
        .with_state(FleetState { services, depot })
}
