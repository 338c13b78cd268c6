#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod wire;

use axum::Router;
use axum::routing::{patch, post};
use depot_http::{Problem, Services};

pub use error::SddcFamily;

/// The family's routes under `/v1`, in the order of the contract.
pub fn router(services: Services) -> Router {
    Router::new()
        // POST /v1/tokens — create an access and refresh token pair
        .route("/v1/tokens", post(routes::tokens::create))
        // PATCH /v1/tokens/access-token/refresh — new access token from a refresh token
        .route("/v1/tokens/access-token/refresh", patch(routes::tokens::refresh))
        // DELETE /v1/tokens/refresh-token — invalidate a refresh token
        .route("/v1/tokens/refresh-token", axum::routing::delete(routes::tokens::revoke))
        .fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            Problem::no_route(method.as_str(), uri.path())
        })
        .layer(axum::middleware::from_fn(depot_http::render_errors::<SddcFamily>))
        .with_state(services)
}
