//! The services every API router reaches.

use std::sync::Arc;

use depot_auth::AuthService;
use depot_tasks::TaskEngine;

use crate::PublicBase;

/// Shared state of all routers: cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// Logins, sessions and users.
    pub auth: Arc<AuthService>,
    /// Persistent tasks.
    pub tasks: Arc<TaskEngine>,
    /// How the server's public base URL is found (for absolute URLs handed out).
    pub public: Arc<PublicBase>,
}
