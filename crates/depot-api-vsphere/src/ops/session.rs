//! `com.vmware.cis.session`: create, get, delete.

use depot_auth::AuthError;
use depot_http::{Credentials, Problem, wire_time};
use serde_json::{Value, json};

use crate::vapi::registry::{Auth, Call, Operation, Reply, RestBinding, RestBody};
use crate::vapi::types::{StructType, Type, field};

const SERVICE: &str = "com.vmware.cis.session";
const NO_INPUT: StructType = StructType {
    id: "operation-input",
    fields: &[],
};

/// `com.vmware.cis.session.info`.
pub const INFO: StructType = StructType {
    id: "com.vmware.cis.session.info",
    fields: &[
        field("user", Type::String),
        field("created_time", Type::DateTime),
        field("last_accessed_time", Type::DateTime),
    ],
};

/// create: user name and password → session id (REST: 201 with a JSON string).
pub const CREATE: Operation = Operation {
    service: SERVICE,
    operation: "create",
    input: &NO_INPUT,
    output: &Type::Secret,
    auth: Auth::Password,
    privilege: None,
    rest: Some(RestBinding {
        method: "POST",
        path: "/session",
        action: None,
        body: RestBody::None,
        status: 201,
    }),
    task_result: None,
    handler: create,
};

/// get: the caller's session.
pub const GET: Operation = Operation {
    service: SERVICE,
    operation: "get",
    input: &NO_INPUT,
    output: &Type::Struct(&INFO),
    auth: Auth::SessionOnly,
    privilege: None,
    rest: Some(RestBinding {
        method: "GET",
        path: "/session",
        action: None,
        body: RestBody::None,
        status: 200,
    }),
    task_result: None,
    handler: get,
};

/// delete: ends the caller's session.
pub const DELETE: Operation = Operation {
    service: SERVICE,
    operation: "delete",
    input: &NO_INPUT,
    output: &Type::Void,
    auth: Auth::SessionOnly,
    privilege: None,
    rest: Some(RestBinding {
        method: "DELETE",
        path: "/session",
        action: None,
        body: RestBody::None,
        status: 204,
    }),
    task_result: None,
    handler: delete,
};

fn create(call: Call) -> Reply {
    Box::pin(async move {
        let Some(Credentials::Basic { user, password }) = &call.credentials else {
            return Err(AuthError::MissingCredentials.into());
        };
        let (session, _) = call
            .services
            .auth
            .open_session(user, password, &call.client)
            .await?;
        Ok(Value::String(session.expose().to_owned()))
    })
}

fn get(call: Call) -> Reply {
    Box::pin(async move {
        let info = call.services.auth.session_info(session_id(&call)?).await?;
        Ok(json!({
            "user": info.user.vsphere_display(),
            "created_time": wire_time::format(info.created),
            "last_accessed_time": wire_time::format(info.last_accessed),
        }))
    })
}

fn delete(call: Call) -> Reply {
    Box::pin(async move {
        call.services.auth.close_session(session_id(&call)?).await?;
        Ok(Value::Null)
    })
}

fn session_id(call: &Call) -> Result<&str, Problem> {
    match &call.credentials {
        Some(Credentials::SessionId(id)) => Ok(id.expose()),
        _ => Err(AuthError::MissingCredentials.into()),
    }
}
