//! Who may read the downstream depot: HTTP Basic against depotd's users.

use axum::http::HeaderMap;
use depot_http::Credentials;
use depot_model::ErrorKind;

use super::{Access, DownstreamError, DownstreamState};

/// Checks the request's credentials against `state.access`. `client` is the caller's
/// address, for throttling failed attempts.
pub async fn authorize(
    state: &DownstreamState,
    headers: &HeaderMap,
    client: &str,
) -> Result<(), DownstreamError> {
    let only = match state.access.as_ref() {
        Access::Anonymous => return Ok(()),
        Access::AnyUser => None,
        Access::User(name) => Some(name),
    };
    // Bearer tokens and sessions belong to the APIs; the depot speaks Basic only.
    let Some(Credentials::Basic { user, password }) = Credentials::authorization(headers) else {
        return Err(DownstreamError::Unauthenticated);
    };
    let principal = state
        .auth
        .basic(&user, &password, client)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::Unauthenticated => DownstreamError::Unauthenticated,
            _ => DownstreamError::Auth(e),
        })?;
    match only {
        // User names are case-insensitive (stored in lower case).
        Some(name) if !principal.user.as_str().eq_ignore_ascii_case(name.trim()) => {
            tracing::debug!(user = %principal.user, "depot: user not allowed");
            Err(DownstreamError::Forbidden)
        }
        _ => Ok(()),
    }
}
