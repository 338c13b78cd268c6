//! Routes declared once: each route added to an [`ApiRoutes`] goes into the axum router
//! and into the list `/openapi.json` is generated from, so the two cannot drift.

use axum::Router;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodFilter, on};

/// One documented route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDoc {
    /// HTTP method.
    pub method: Method,
    /// Path template as served, axum style (`/v1/tasks/{task_id}`).
    pub path: String,
    /// Upstream operation id (binding name).
    pub operation_id: String,
    /// API family tag.
    pub tag: &'static str,
    /// One-line summary.
    pub summary: String,
    /// Success status.
    pub status: StatusCode,
}

impl RouteDoc {
    /// The same route mounted below `prefix` (`/fleet-lcm`).
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = format!("{prefix}{}", self.path);
        self
    }
}

/// A router being built together with the documentation of its routes.
pub struct ApiRoutes<S> {
    router: Router<S>,
    docs: Vec<RouteDoc>,
    tag: &'static str,
}

impl<S: Clone + Send + Sync + 'static> ApiRoutes<S> {
    /// No routes yet; every route added is tagged `tag`.
    pub fn new(tag: &'static str) -> Self {
        Self {
            router: Router::new(),
            docs: Vec::new(),
            tag,
        }
    }

    /// Serves `method path` with `handler` and documents it.
    ///
    /// # Panics
    /// When `method` is not one axum routes (GET, HEAD, POST, PUT, PATCH, DELETE,
    /// OPTIONS, TRACE, CONNECT) — a programming error every router test finds.
    #[must_use]
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        doc: (&'static str, &'static str, StatusCode),
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("{method} {path}: axum cannot route this method"));
        let (operation_id, summary, status) = doc;
        self.router = self.router.route(path, on(filter, handler));
        self.docs.push(RouteDoc {
            method,
            path: path.to_owned(),
            operation_id: operation_id.to_owned(),
            tag: self.tag,
            summary: summary.to_owned(),
            status,
        });
        self
    }

    /// Documents a route served by a router built elsewhere from the same
    /// declaration (the vSphere operation registry).
    #[must_use]
    pub fn documented(mut self, doc: RouteDoc) -> Self {
        self.docs.push(doc);
        self
    }

    /// Merges a router whose routes were documented with [`documented`](Self::documented).
    #[must_use]
    pub fn merge(mut self, router: Router<S>) -> Self {
        self.router = self.router.merge(router);
        self
    }

    /// The router and the documentation of its routes.
    pub fn into_parts(self) -> (Router<S>, Vec<RouteDoc>) {
        (self.router, self.docs)
    }

    /// The documentation of the routes.
    pub fn docs(&self) -> &[RouteDoc] {
        &self.docs
    }
}
