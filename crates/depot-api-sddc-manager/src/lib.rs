#![doc = include_str!("../README.md")]

mod error;
mod routes;
mod wire;

use axum::Router;
use axum::routing::{patch, post};
use depot_http::Services;

pub use error::SddcFamily;

/// The family's routes, to be nested at `/v1`, in the order of the contract.
pub fn router(services: Services) -> Router {
    Router::new()
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
        .with_state(services)
}
