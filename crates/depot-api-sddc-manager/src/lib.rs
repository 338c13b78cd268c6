#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_catalog_service::CatalogService;
use depot_http::{ApiRoutes, RouteDoc, Services};
use depot_sync::DepotService;

pub use error::SddcFamily;

/// State of the SDDC Manager routes.
#[derive(Clone)]
pub struct SddcState {
    /// Shared services.
    pub services: Services,
    /// Product version catalogs.
    pub catalogs: Arc<CatalogService>,
    /// Depot settings and syncs.
    pub depot: Arc<DepotService>,
}

impl FromRef<SddcState> for Services {
    fn from_ref(state: &SddcState) -> Services {
        state.services.clone()
    }
}

/// The family's routes, to be nested at `/v1`, in the order of the contract.
pub fn router(
    services: Services,
    catalogs: Arc<CatalogService>,
    depot: Arc<DepotService>,
) -> Router {
    let (router, _) = routes().into_parts();
    router
        .fallback(depot_http::unknown_route)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<SddcFamily>,
        ))
        .with_state(SddcState {
            services,
            catalogs,
            depot,
        })
}

/// The documentation of the family's routes (paths below `/v1`).
pub fn route_docs() -> Vec<RouteDoc> {
    routes().into_parts().1
}

/// Every route, declared once for the router and its documentation.
fn routes() -> ApiRoutes<SddcState> {
    token_routes(depot_routes(catalog_routes(ApiRoutes::new("sddc-manager"))))
}

/// vmware.sddc_manager.v1.product_version_catalogs and its upload tasks.
fn catalog_routes(routes: ApiRoutes<SddcState>) -> ApiRoutes<SddcState> {
    use StatusCode as S;
    const CATALOGS: &str = "/product-version-catalogs";
    routes
        .route(
            Method::GET,
            CATALOGS,
            (
                "get_product_version_catalog_content",
                "The current product version catalog",
                S::OK,
            ),
            routes::catalogs::get,
        )
        .route(
            Method::POST,
            CATALOGS,
            (
                "upload_product_version_catalog_with_signature",
                "Replace the catalog with a signed server-local file",
                S::ACCEPTED,
            ),
            routes::catalogs::upload,
        )
        .route(
            Method::PATCH,
            CATALOGS,
            (
                "update_product_version_catalog_patches",
                "Merge the patches of a signed server-local file",
                S::ACCEPTED,
            ),
            routes::catalogs::update,
        )
        // vmware.sddc_manager.v1.product_version_catalogs.upload_tasks
        .route(
            Method::GET,
            "/product-version-catalogs/upload-tasks/{task_id}",
            (
                "get_product_version_catalog_upload_task",
                "A catalog upload task",
                S::OK,
            ),
            routes::catalogs::get_upload_task,
        )
}

/// vmware.sddc_manager.v1.system.settings.depot, its sync info and machine details.
fn depot_routes(routes: ApiRoutes<SddcState>) -> ApiRoutes<SddcState> {
    use StatusCode as S;
    const DEPOT: &str = "/system/settings/depot";
    routes
        .route(
            Method::GET,
            DEPOT,
            (
                "get_depot_settings",
                "Get the depot settings (no secrets)",
                S::OK,
            ),
            routes::depot::get,
        )
        .route(
            Method::PUT,
            DEPOT,
            (
                "update_depot_settings",
                "Set the depot settings; tests the connection",
                S::OK,
            ),
            routes::depot::update,
        )
        .route(
            Method::DELETE,
            DEPOT,
            (
                "delete_depot_settings",
                "Delete the depot settings or one account (?depotType=VMWARE|OFFLINE)",
                S::NO_CONTENT,
            ),
            routes::depot::delete,
        )
        // .depot_sync_info
        .route(
            Method::GET,
            "/system/settings/depot/depot-sync-info",
            (
                "get_depot_sync_info",
                "State of the depot metadata sync",
                S::OK,
            ),
            routes::depot::sync_info,
        )
        .route(
            Method::PATCH,
            "/system/settings/depot/depot-sync-info",
            (
                "sync_depot_metadata",
                "Start a depot metadata sync",
                S::ACCEPTED,
            ),
            routes::depot::sync,
        )
        // .machine_details
        .route(
            Method::GET,
            "/system/settings/depot/machine-details",
            (
                "get_machine_details",
                "The machine id of this installation",
                S::OK,
            ),
            routes::depot::machine_details,
        )
}

/// vmware.sddc_manager.v1.tokens.
fn token_routes(routes: ApiRoutes<SddcState>) -> ApiRoutes<SddcState> {
    use StatusCode as S;
    routes
        .route(
            Method::POST,
            "/tokens",
            ("create_token", "Issue an access and a refresh token", S::OK),
            routes::tokens::create,
        )
        .route(
            Method::PATCH,
            "/tokens/access-token/refresh",
            (
                "refresh_access_token",
                "New access token from a refresh token",
                S::OK,
            ),
            routes::tokens::refresh,
        )
        .route(
            Method::DELETE,
            "/tokens/refresh-token",
            (
                "invalidate_refresh_token",
                "Invalidate a refresh token",
                S::NO_CONTENT,
            ),
            routes::tokens::revoke,
        )
}
