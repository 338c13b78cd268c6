#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod task_view;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{ApiRoutes, RouteDoc, Services};
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
    let (router, _) = routes().into_parts();
    router
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<FleetFamily>,
        ))
        .with_state(FleetState { services, depot })
}

/// The documentation of the family's routes (paths below `/fleet-lcm`).
pub fn route_docs() -> Vec<RouteDoc> {
    routes().into_parts().1
}

/// Every route, declared once for the router and its documentation.
fn routes() -> ApiRoutes<FleetState> {
    use StatusCode as S;
    ApiRoutes::new("fleet-lcm")
        .route(
            Method::POST,
            "/v1/depot-metadata",
            (
                "sync_depot_metadata",
                "Sync the depot metadata (?action=sync)",
                S::ACCEPTED,
            ),
            routes::depot_metadata::action,
        )
        .route(
            Method::GET,
            "/v1/tasks",
            ("get_tasks", "List tasks (filters and paging)", S::OK),
            routes::tasks::list,
        )
        .route(
            Method::GET,
            "/v1/tasks/{task_id}",
            ("get_task", "Get a task", S::OK),
            routes::tasks::get,
        )
        .route(
            Method::POST,
            "/v1/tasks/{task_id}",
            (
                "retry_task/cancel_task",
                "Retry or cancel a task (?action=retry|cancel)",
                S::OK,
            ),
            routes::tasks::action,
        )
        .route(
            Method::GET,
            "/v1/release-versions",
            (
                "get_release_versions",
                "Release versions of the synced manifest and catalog (paged)",
                S::OK,
            ),
            routes::release_versions::list,
        )
        .route(
            Method::GET,
            "/v1/health",
            ("get_health", "Fleet LCM health", S::OK),
            routes::health::get,
        )
}
