#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, patch, post, put};
use depot_catalog_service::CatalogService;
use depot_http::Services;
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
    Router::new()
        // vmware.sddc_manager.v1.product_version_catalogs: get content, upload (replace), update (merge)
        .route(
            "/product-version-catalogs",
            get(routes::catalogs::get)
                .post(routes::catalogs::upload)
                .patch(routes::catalogs::update),
        )
        // vmware.sddc_manager.v1.product_version_catalogs.upload_tasks
        .route(
            "/product-version-catalogs/upload-tasks/{task_id}",
            get(routes::catalogs::get_upload_task),
        )
        // vmware.sddc_manager.v1.system.settings.depot: get, update, delete
        .route(
            "/system/settings/depot",
            put(routes::depot::update)
                .get(routes::depot::get)
                .delete(routes::depot::delete),
        )
        // .depot_sync_info: get, sync_depot_metadata
        .route(
            "/system/settings/depot/depot-sync-info",
            get(routes::depot::sync_info).patch(routes::depot::sync),
        )
        // .machine_details
        .route(
            "/system/settings/depot/machine-details",
            get(routes::depot::machine_details),
        )
        // POST /v1/tokens — create an access and refresh token pair
        .route("/tokens", post(routes::tokens::create))
        // PATCH /v1/tokens/access-token/refresh — new access token from a refresh token
        .route(
            "/tokens/access-token/refresh",
            patch(routes::tokens::refresh),
        )
        // DELETE /v1/tokens/refresh-token — invalidate a refresh token
        .route(
            "/tokens/refresh-token",
            axum::routing::delete(routes::tokens::revoke),
        )
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
