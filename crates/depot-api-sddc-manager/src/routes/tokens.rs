//! `/v1/tokens`: access and refresh tokens.

use axum::extract::State;
use axum::http::StatusCode;
use depot_auth::Secret;
use depot_http::{ClientAddr, Json, Problem, Services};

use crate::wire::token::{RefreshToken, RefreshTokenInput, TokenCreationSpec, TokenPair};

/// `POST /v1/tokens` — issue an access and a refresh token for user name and password.
pub async fn create(
    State(services): State<Services>,
    ClientAddr(client): ClientAddr,
    Json(spec): Json<TokenCreationSpec>,
) -> Result<Json<TokenPair>, Problem> {
    if spec.api_key.is_some() || spec.id_token.is_some() {
        return Err(Problem::invalid(
            "TOKEN_SPEC_UNSUPPORTED",
            "depotd accepts username and password only (apiKey and idToken are not supported)",
        ));
    }
    let (Some(user), Some(password)) = (spec.username, spec.password) else {
        return Err(Problem::invalid(
            "TOKEN_SPEC_INVALID",
            "username and password are required",
        ));
    };
    let tokens = services
        .auth
        .issue_tokens(&user, &Secret::new(password), &client)
        .await?;
    Ok(Json(TokenPair {
        access_token: tokens.access.expose().to_owned(),
        refresh_token: RefreshToken {
            id: tokens.refresh.expose().to_owned(),
        },
    }))
}

/// `PATCH /v1/tokens/access-token/refresh` — a new access token (JSON string).
pub async fn refresh(
    State(services): State<Services>,
    Json(input): Json<RefreshTokenInput>,
) -> Result<Json<String>, Problem> {
    let access = services.auth.refresh(input.id()).await?;
    Ok(Json(access.expose().to_owned()))
}

/// `DELETE /v1/tokens/refresh-token` — invalidate a refresh token and the access
/// tokens issued with it. Nothing else can be ended here: a vSphere session id or an
/// access token is refused as unknown.
pub async fn revoke(
    State(services): State<Services>,
    Json(input): Json<RefreshTokenInput>,
) -> Result<StatusCode, Problem> {
    services.auth.revoke_refresh(input.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}
