//! The operation registry: each vSphere operation defined once, served by both the
//! `/api` REST binding and JSON-RPC.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use depot_auth::{AuthError, Principal};
use depot_http::{Credentials, Problem, Services};
use depot_model::{Privilege, SessionKind};
use serde_json::{Map, Value};

use super::types::{StructType, Type};

/// How an operation authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A session id (or Basic on a single call), then the operation's privilege.
    Session,
    /// User name and password (opening a session).
    Password,
    /// The session id itself is the subject (session get/delete).
    SessionOnly,
}

/// Where the REST form takes the request body from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestBody {
    /// No body.
    None,
    /// The body is the named (structure) parameter.
    Param(&'static str),
    /// The body is an object keyed by the parameter names not in path or query.
    Fields,
}

/// The `/api` REST form of an operation.
#[derive(Debug, Clone, Copy)]
pub struct RestBinding {
    /// HTTP method.
    pub method: &'static str,
    /// Path template below `/api`, axum style (`/cis/tasks/{task}`).
    pub path: &'static str,
    /// The `?action=` value selecting this operation, if any.
    pub action: Option<&'static str>,
    /// Where the body goes.
    pub body: RestBody,
    /// Success status.
    pub status: u16,
}

/// The future an operation handler returns.
pub type Reply = Pin<Box<dyn Future<Output = Result<Value, Problem>> + Send>>;

/// An operation handler: canonical input in, canonical output out.
pub type Handler = fn(Call) -> Reply;

/// One invocation of an operation.
pub struct Call {
    /// The services.
    pub services: Services,
    /// The credentials presented (for session operations).
    pub credentials: Option<Credentials>,
    /// The authenticated caller (`Auth::Session` operations).
    pub principal: Option<Principal>,
    /// The canonical `operation-input` fields.
    pub input: Map<String, Value>,
    /// The caller's address.
    pub client: String,
    /// Invoked as `<op>$task`: return a task id.
    pub as_task: bool,
}

impl Call {
    /// The authenticated caller; operations with `Auth::Session` always have one.
    pub fn principal(&self) -> Result<&Principal, Problem> {
        self.principal
            .as_ref()
            .ok_or_else(|| AuthError::MissingCredentials.into())
    }

    /// The string parameter `name`.
    pub fn str_param(&self, name: &str) -> Result<&str, Problem> {
        self.input.get(name).and_then(Value::as_str).ok_or_else(|| {
            Problem::invalid("INVALID_ARGUMENT", format!("parameter {name} is required"))
        })
    }

    /// The optional parameter `name`, deserialized.
    pub fn param<T: serde::de::DeserializeOwned + Default>(
        &self,
        name: &str,
    ) -> Result<T, Problem> {
        match self.input.get(name) {
            None | Some(Value::Null) => Ok(T::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                Problem::invalid("INVALID_ARGUMENT", format!("parameter {name}: {e}"))
            }),
        }
    }
}

/// A vSphere operation.
pub struct Operation {
    /// Service id, e.g. `com.vmware.cis.tasks`.
    pub service: &'static str,
    /// Operation id, e.g. `get`.
    pub operation: &'static str,
    /// The `operation-input` structure.
    pub input: &'static StructType,
    /// The output type.
    pub output: &'static Type,
    /// How callers authenticate.
    pub auth: Auth,
    /// The privilege required (`Auth::Session` only).
    pub privilege: Option<Privilege>,
    /// The `/api` REST form, if any.
    pub rest: Option<RestBinding>,
    /// For operations with a `$task` form: the type of the task's result.
    pub task_result: Option<&'static Type>,
    /// The implementation.
    pub handler: Handler,
}

/// All operations, by service and operation id.
pub struct Registry {
    operations: Vec<&'static Operation>,
    by_id: HashMap<(&'static str, &'static str), &'static Operation>,
}

impl Registry {
    /// A registry of `operations`; later entries with the same ids replace earlier ones.
    pub fn new(operations: Vec<&'static Operation>) -> Self {
        let by_id = operations
            .iter()
            .map(|o| ((o.service, o.operation), *o))
            .collect();
        Self { operations, by_id }
    }

    /// Every operation.
    pub fn operations(&self) -> &[&'static Operation] {
        &self.operations
    }

    /// The operation `service`/`operation`.
    pub fn find(&self, service: &str, operation: &str) -> Option<&'static Operation> {
        self.by_id.get(&(service, operation)).copied()
    }

    /// The result type of tasks running `service`/`operation`.
    pub fn task_result(&self, service: &str, operation: &str) -> Option<&'static Type> {
        self.find(service, operation).and_then(|o| o.task_result)
    }

    /// Authenticates, authorizes and runs one invocation.
    pub async fn execute(&self, op: &Operation, mut call: Call) -> Result<Value, Problem> {
        if call.as_task && op.task_result.is_none() {
            return Err(Problem::no_route(
                "invoke",
                &format!("{}.{}$task", op.service, op.operation),
            ));
        }
        match op.auth {
            Auth::Password => {
                if !matches!(call.credentials, Some(Credentials::Basic { .. })) {
                    return Err(AuthError::MissingCredentials.into());
                }
            }
            Auth::SessionOnly => {
                if !matches!(call.credentials, Some(Credentials::SessionId(_))) {
                    return Err(AuthError::MissingCredentials.into());
                }
            }
            Auth::Session => {
                let principal = authenticate(&call).await?;
                if let Some(p) = op.privilege {
                    principal.require(p)?;
                }
                call.principal = Some(principal);
            }
        }
        (op.handler)(call).await
    }
}

async fn authenticate(call: &Call) -> Result<Principal, Problem> {
    let auth = &call.services.auth;
    let result = match &call.credentials {
        None => Err(AuthError::MissingCredentials),
        Some(Credentials::Malformed) => Err(AuthError::BadCredentials),
        Some(Credentials::Basic { user, password }) => {
            auth.basic(user, password, &call.client).await
        }
        Some(Credentials::SessionId(id) | Credentials::Bearer(id)) => {
            auth.authenticate(id.expose(), &[SessionKind::Vsphere])
                .await
        }
    };
    result.map_err(Problem::from)
}
