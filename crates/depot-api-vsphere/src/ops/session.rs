//! `com.vmware.cis.session`: create, get, delete.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_auth::AuthError;
use depot_http::{Credentials, Problem, Services};

use crate::vapi::registry::{Auth, Ctx, Operation};
use crate::vapi::typed::{DateTime, SecretString};

const SERVICE: &str = "com.vmware.cis.session";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The session operations take no input: the credentials are the subject.
    pub struct NoInput {}
}

crate::vapi_struct! {
    #[vapi("com.vmware.cis.session.info")]
    /// A session.
    pub struct Info {
        /// Its user.
        pub user: String,
        /// When it was opened.
        pub created_time: DateTime,
        /// When it was last used.
        pub last_accessed_time: DateTime,
    }
}

/// create (user name and password → session id; REST: 201 with a JSON string), get
/// (the caller's session) and delete (ends it).
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "create", Auth::Password, create::<S>).rest(
            Method::POST,
            "/session",
            StatusCode::CREATED,
        ),
        Operation::new(SERVICE, "get", Auth::SessionOnly, get::<S>).rest(
            Method::GET,
            "/session",
            StatusCode::OK,
        ),
        Operation::new(SERVICE, "delete", Auth::SessionOnly, delete::<S>).rest(
            Method::DELETE,
            "/session",
            StatusCode::NO_CONTENT,
        ),
    ]
}

async fn create<S>(ctx: Ctx<S>, _: NoInput) -> Result<SecretString, Problem>
where
    Services: FromRef<S>,
{
    let Some(Credentials::Basic { user, password }) = &ctx.credentials else {
        return Err(AuthError::MissingCredentials.into());
    };
    let services: Services = ctx.get();
    let (session, _) = services
        .auth
        .open_session(user, password, &ctx.client)
        .await?;
    Ok(SecretString(session.expose().to_owned()))
}

async fn get<S>(ctx: Ctx<S>, _: NoInput) -> Result<Info, Problem>
where
    Services: FromRef<S>,
{
    let services: Services = ctx.get();
    let info = services.auth.session_info(session_id(&ctx)?).await?;
    Ok(Info {
        user: info.user.vsphere_display(),
        created_time: DateTime(info.created),
        last_accessed_time: DateTime(info.last_accessed),
    })
}

async fn delete<S>(ctx: Ctx<S>, _: NoInput) -> Result<(), Problem>
where
    Services: FromRef<S>,
{
    let services: Services = ctx.get();
    services.auth.close_session(session_id(&ctx)?).await?;
    Ok(())
}

fn session_id<S>(ctx: &Ctx<S>) -> Result<&str, Problem> {
    match &ctx.credentials {
        Some(Credentials::SessionId(id)) => Ok(id.expose()),
        _ => Err(AuthError::MissingCredentials.into()),
    }
}
