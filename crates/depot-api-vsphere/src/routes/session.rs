//! `com.vmware.cis.session`: create, get, delete.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use depot_auth::AuthError;
use depot_http::{ClientAddr, Credentials, Json, Problem, Services, wire_time};

use crate::wire::session::SessionInfo;

/// `POST /api/session` — create: Basic credentials → session id (201, JSON string).
pub async fn create(
    State(services): State<Services>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<String>), Problem> {
    let Some(Credentials::Basic { user, password }) = Credentials::authorization(&headers) else {
        return Err(AuthError::MissingCredentials.into());
    };
    let (session, _) = services
        .auth
        .open_session(&user, &password, &client)
        .await?;
    Ok((StatusCode::CREATED, Json(session.expose().to_owned())))
}

/// `GET /api/session` — get: who the session belongs to.
pub async fn get(
    State(services): State<Services>,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, Problem> {
    let id = session_id(&headers)?;
    let info = services.auth.session_info(id.expose()).await?;
    Ok(Json(SessionInfo {
        user: info.user.vsphere_display(),
        created_time: wire_time::format(info.created),
        last_accessed_time: wire_time::format(info.last_accessed),
    }))
}

/// `DELETE /api/session` — delete: ends the session (204).
pub async fn delete(
    State(services): State<Services>,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let id = session_id(&headers)?;
    services.auth.close_session(id.expose()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn session_id(headers: &HeaderMap) -> Result<depot_auth::Secret, Problem> {
    match Credentials::session_id(headers) {
        Some(Credentials::SessionId(id)) => Ok(id),
        _ => Err(AuthError::MissingCredentials.into()),
    }
}
