//! The operation registry: each vSphere operation defined once, with typed input and
//! output, served by both the `/api` REST binding and JSON-RPC.
//!
//! The registry is generic over the application state `S`: an operation's handler
//! receives the state and takes what it needs from it through axum's [`FromRef`], so a
//! family crate can reach its own service without `depot-http` knowing it. The
//! registry itself only needs [`Services`] (authentication).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_auth::{AuthError, Principal};
use depot_http::{Credentials, Problem, Services};
use depot_model::{Privilege, SessionKind, TaskId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::typed::{VapiStruct, VapiType};
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
#[derive(Debug, Clone)]
pub struct RestBinding {
    /// HTTP method.
    pub method: Method,
    /// Path template below `/api`, axum style (`/cis/tasks/{task}`).
    pub path: &'static str,
    /// The `?action=` value selecting this operation, if any.
    pub action: Option<&'static str>,
    /// Where the body goes.
    pub body: RestBody,
    /// Success status.
    pub status: StatusCode,
    /// Input fields read from request headers: (header, field), e.g. `Client-Token`.
    pub headers: Vec<(&'static str, &'static str)>,
    /// A query parameter whose presence selects this form over another operation on
    /// the same method and path (`GET …/file?file_name=` is `get`, `GET …/file` is
    /// `list`, as in the bindings' templates).
    pub selected_by: Option<&'static str>,
    /// Input fields read from a path parameter of another name: (parameter, field),
    /// so that routes sharing a path prefix share its parameter names.
    pub path_fields: Vec<(&'static str, &'static str)>,
}

/// One invocation of an operation, as its handler sees it.
pub struct Ctx<S> {
    /// The application state.
    pub state: S,
    /// The credentials presented (for session operations).
    pub credentials: Option<Credentials>,
    /// The authenticated caller (`Auth::Session` operations).
    pub principal: Option<Principal>,
    /// The caller's address.
    pub client: String,
    /// The server's public base URL as this caller reaches it (`https://host:port`), for
    /// absolute URLs in answers.
    pub base_url: String,
}

impl<S> Ctx<S> {
    /// The authenticated caller; operations with `Auth::Session` always have one.
    pub fn principal(&self) -> Result<&Principal, Problem> {
        self.principal
            .as_ref()
            .ok_or_else(|| AuthError::MissingCredentials.into())
    }

    /// A part of the application state (a service).
    pub fn get<T: FromRef<S>>(&self) -> T {
        T::from_ref(&self.state)
    }
}

/// What a type-erased handler returns: the canonical output.
type Reply = Pin<Box<dyn Future<Output = Result<Value, Problem>> + Send>>;

/// A handler behind its typed signature: canonical input in, canonical output out.
type Erased<S> = Arc<dyn Fn(Ctx<S>, Map<String, Value>) -> Reply + Send + Sync>;

/// A vSphere operation.
pub struct Operation<S> {
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
    /// The plain form, if the operation has one.
    run: Option<Erased<S>>,
    /// The `$task` form (answers a task id), if the operation has one.
    run_task: Option<Erased<S>>,
}

impl<S> Clone for Operation<S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service,
            operation: self.operation,
            input: self.input,
            output: self.output,
            auth: self.auth,
            privilege: self.privilege,
            rest: self.rest.clone(),
            task_result: self.task_result,
            run: self.run.clone(),
            run_task: self.run_task.clone(),
        }
    }
}

impl<S: Send + 'static> Operation<S> {
    /// An operation whose handler takes the typed input `I` and answers `O`.
    pub fn new<I, O, F, Fut>(
        service: &'static str,
        operation: &'static str,
        auth: Auth,
        handler: F,
    ) -> Self
    where
        I: VapiStruct + DeserializeOwned + Send + 'static,
        O: VapiType + Serialize,
        F: Fn(Ctx<S>, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, Problem>> + Send + 'static,
    {
        Self {
            service,
            operation,
            input: I::STRUCT,
            output: O::TYPE,
            auth,
            privilege: None,
            rest: None,
            task_result: None,
            run: Some(erase(handler)),
            run_task: None,
        }
    }

    /// An operation that only runs as a task (`<operation>$task`, REST
    /// `?vmw-task=true`): its handler submits the task; the task's result is `R`.
    pub fn task_only<I, R, F, Fut>(
        service: &'static str,
        operation: &'static str,
        auth: Auth,
        handler: F,
    ) -> Self
    where
        I: VapiStruct + DeserializeOwned + Send + 'static,
        R: VapiType,
        F: Fn(Ctx<S>, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<TaskId, Problem>> + Send + 'static,
    {
        Self {
            service,
            operation,
            input: I::STRUCT,
            output: R::TYPE,
            auth,
            privilege: None,
            rest: None,
            task_result: Some(R::TYPE),
            run: None,
            run_task: Some(erase_task(handler)),
        }
    }

    /// Adds a `$task` form to an operation whose plain form answers `O`: the handler
    /// takes the same input and submits a task whose result is an `O`.
    #[must_use]
    pub fn with_task<I, F, Fut>(mut self, handler: F) -> Self
    where
        I: VapiStruct + DeserializeOwned + Send + 'static,
        F: Fn(Ctx<S>, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<TaskId, Problem>> + Send + 'static,
    {
        self.task_result = Some(self.output);
        self.run_task = Some(erase_task(handler));
        self
    }

    /// Whether the operation only runs as a task (REST needs `?vmw-task=true`).
    pub fn is_task_only(&self) -> bool {
        self.run.is_none() && self.run_task.is_some()
    }

    /// The privilege callers need.
    #[must_use]
    pub fn privilege(mut self, privilege: Privilege) -> Self {
        self.privilege = Some(privilege);
        self
    }

    /// The `/api` REST form: `method path`, answering `status`, with no body and no
    /// `?action=` (see [`action`](Self::action) and [`body`](Self::body)).
    #[must_use]
    pub fn rest(mut self, method: Method, path: &'static str, status: StatusCode) -> Self {
        self.rest = Some(RestBinding {
            method,
            path,
            action: None,
            body: RestBody::None,
            status,
            headers: Vec::new(),
            selected_by: None,
            path_fields: Vec::new(),
        });
        self
    }

    /// The REST form is chosen over another operation on the same method and path
    /// when the query has parameter `name`.
    #[must_use]
    pub fn selected_by_query(mut self, name: &'static str) -> Self {
        if let Some(rest) = &mut self.rest {
            rest.selected_by = Some(name);
        }
        self
    }

    /// An input field the REST form reads from a request header (vSphere's
    /// `Client-Token` → `client_token`); JSON-RPC carries it in the input as usual.
    #[must_use]
    pub fn header(mut self, header: &'static str, field: &'static str) -> Self {
        if let Some(rest) = &mut self.rest {
            rest.headers.push((header, field));
        }
        self
    }

    /// An input field the REST form reads from the path parameter `param` (of another
    /// name than the field).
    #[must_use]
    pub fn path_field(mut self, param: &'static str, field: &'static str) -> Self {
        if let Some(rest) = &mut self.rest {
            rest.path_fields.push((param, field));
        }
        self
    }

    /// The `?action=` value selecting the REST form.
    #[must_use]
    pub fn action(mut self, action: &'static str) -> Self {
        if let Some(rest) = &mut self.rest {
            rest.action = Some(action);
        }
        self
    }

    /// Where the REST form's body goes.
    #[must_use]
    pub fn body(mut self, body: RestBody) -> Self {
        if let Some(rest) = &mut self.rest {
            rest.body = body;
        }
        self
    }

    /// `service.operation`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.service, self.operation)
    }
}

/// Type-erases a typed handler: decodes the canonical input into `I`, encodes the
/// typed output.
fn erase<S, I, O, F, Fut>(handler: F) -> Erased<S>
where
    S: Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize,
    F: Fn(Ctx<S>, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, Problem>> + Send + 'static,
{
    Arc::new(move |ctx, input| match typed_input::<I>(input) {
        Ok(input) => {
            let reply = handler(ctx, input);
            Box::pin(async move {
                let output = reply.await?;
                serde_json::to_value(&output).map_err(|e| Problem::internal(&e))
            })
        }
        Err(problem) => Box::pin(std::future::ready(Err(problem))),
    })
}

/// Type-erases a task handler: its output is the task id.
fn erase_task<S, I, F, Fut>(handler: F) -> Erased<S>
where
    S: Send + 'static,
    I: DeserializeOwned + Send + 'static,
    F: Fn(Ctx<S>, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<TaskId, Problem>> + Send + 'static,
{
    erase(move |ctx, input: I| {
        let submitted = handler(ctx, input);
        async move { submitted.await.map(|id| id.to_string()) }
    })
}

/// The canonical input (already checked against the input type) as `I`.
fn typed_input<I: DeserializeOwned>(input: Map<String, Value>) -> Result<I, Problem> {
    serde_json::from_value(Value::Object(input))
        .map_err(|e| Problem::invalid("INVALID_ARGUMENT", format!("operation-input: {e}")))
}

/// All operations, by service and operation id.
pub struct Registry<S> {
    operations: Vec<Arc<Operation<S>>>,
    /// Service id → operation id → index in `operations`.
    by_id: HashMap<&'static str, HashMap<&'static str, usize>>,
}

impl<S> Registry<S>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    /// A registry of `operations`; later entries with the same ids replace earlier ones.
    pub fn new(operations: Vec<Operation<S>>) -> Self {
        let mut kept: Vec<Arc<Operation<S>>> = Vec::with_capacity(operations.len());
        let mut by_id: HashMap<_, HashMap<_, _>> = HashMap::new();
        for o in operations {
            let index = by_id.entry(o.service).or_default().entry(o.operation);
            match index {
                std::collections::hash_map::Entry::Occupied(at) => kept[*at.get()] = Arc::new(o),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(kept.len());
                    kept.push(Arc::new(o));
                }
            }
        }
        Self {
            operations: kept,
            by_id,
        }
    }

    /// Every operation.
    pub fn operations(&self) -> &[Arc<Operation<S>>] {
        &self.operations
    }

    /// The operation `service`/`operation`.
    pub fn find(&self, service: &str, operation: &str) -> Option<&Arc<Operation<S>>> {
        let index = self.by_id.get(service)?.get(operation)?;
        self.operations.get(*index)
    }

    /// The result type of tasks running `service`/`operation`.
    pub fn task_result(&self, service: &str, operation: &str) -> Option<&'static Type> {
        self.find(service, operation).and_then(|o| o.task_result)
    }

    /// Authenticates, authorizes and runs one invocation (`as_task`: its `$task` form).
    /// `input` is built only once the caller may run the operation: a caller without
    /// the privilege gets 403, never the decoder's hints about the body.
    pub async fn execute(
        &self,
        op: &Operation<S>,
        mut ctx: Ctx<S>,
        input: impl FnOnce() -> Result<Map<String, Value>, Problem> + Send,
        as_task: bool,
    ) -> Result<Value, Problem> {
        let Some(run) = (if as_task { &op.run_task } else { &op.run }) else {
            let suffix = if as_task { "$task" } else { "" };
            return Err(Problem::no_route("invoke", &format!("{}{suffix}", op.id())));
        };
        match op.auth {
            Auth::Password => {
                if !matches!(ctx.credentials, Some(Credentials::Basic { .. })) {
                    return Err(AuthError::MissingCredentials.into());
                }
            }
            Auth::SessionOnly => {
                if !matches!(ctx.credentials, Some(Credentials::SessionId(_))) {
                    return Err(AuthError::MissingCredentials.into());
                }
            }
            Auth::Session => {
                let principal = authenticate(&ctx).await?;
                if let Some(p) = op.privilege {
                    principal.require(p)?;
                }
                ctx.principal = Some(principal);
            }
        }
        run(ctx, input()?).await
    }
}

async fn authenticate<S>(ctx: &Ctx<S>) -> Result<Principal, Problem>
where
    Services: FromRef<S>,
{
    let services: Services = ctx.get();
    let auth = &services.auth;
    let result = match &ctx.credentials {
        None => Err(AuthError::MissingCredentials),
        Some(Credentials::Malformed) => Err(AuthError::BadCredentials),
        Some(Credentials::Basic { user, password }) => {
            auth.basic(user, password, &ctx.client).await
        }
        Some(Credentials::SessionId(id) | Credentials::Bearer(id)) => {
            auth.authenticate(id.expose(), &[SessionKind::Vsphere])
                .await
        }
    };
    result.map_err(Problem::from)
}
