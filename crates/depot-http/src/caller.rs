//! Extractors for the authenticated caller, one per way in.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use depot_auth::{AuthError, Principal};
use depot_model::SessionKind;

use crate::{ClientAddr, Credentials, Problem, Services};

/// A caller of the SDDC Manager or fleet-lcm APIs: `Authorization: Bearer <access
/// token>`, or `Basic` on a single call.
#[derive(Debug, Clone)]
pub struct BearerCaller(pub Principal);

/// A caller of the vSphere APIs: `vmware-api-session-id`, or `Basic` on a single call.
#[derive(Debug, Clone)]
pub struct SessionCaller(pub Principal);

impl<S> FromRequestParts<S> for BearerCaller
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let creds = Credentials::authorization(&parts.headers);
        authenticate(parts, state, creds, SessionKind::Access)
            .await
            .map(BearerCaller)
    }
}

impl<S> FromRequestParts<S> for SessionCaller
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let creds = Credentials::session_id(&parts.headers)
            .or_else(|| Credentials::authorization(&parts.headers));
        authenticate(parts, state, creds, SessionKind::Vsphere)
            .await
            .map(SessionCaller)
    }
}

async fn authenticate<S>(
    parts: &mut Parts,
    state: &S,
    creds: Option<Credentials>,
    kind: SessionKind,
) -> Result<Principal, Problem>
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    let services = Services::from_ref(state);
    let result = match creds {
        None => Err(AuthError::MissingCredentials),
        Some(Credentials::Malformed) => Err(AuthError::BadCredentials),
        Some(Credentials::Basic { user, password }) => {
            let Ok(ClientAddr(client)) = ClientAddr::from_request_parts(parts, state).await;
            services.auth.basic(&user, &password, &client).await
        }
        Some(Credentials::Bearer(token) | Credentials::SessionId(token)) => {
            services.auth.authenticate(token.expose(), &[kind]).await
        }
    };
    result.map_err(Problem::from)
}
