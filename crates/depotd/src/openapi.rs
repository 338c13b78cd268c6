//! The OpenAPI document of the REST routes, built from one table.

use serde_json::{Map, Value, json};

/// One documented operation.
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path template as served.
    pub path: &'static str,
    /// Upstream operation id (binding name).
    pub operation_id: &'static str,
    /// API family tag.
    pub tag: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Success status.
    pub status: u16,
}

const fn op(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    status: u16,
) -> Operation {
    Operation {
        method,
        path,
        operation_id,
        tag,
        summary,
        status,
    }
}

/// Every REST operation served, in contract order per family.
pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/fleet-lcm/v1/tasks",
        "get_tasks",
        "fleet-lcm",
        "List tasks (filters and paging)",
        200,
    ),
    op(
        "get",
        "/fleet-lcm/v1/tasks/{taskId}",
        "get_task",
        "fleet-lcm",
        "Get a task",
        200,
    ),
    op(
        "post",
        "/fleet-lcm/v1/tasks/{taskId}",
        "retry_task/cancel_task",
        "fleet-lcm",
        "Retry or cancel a task (?action=retry|cancel)",
        200,
    ),
    op(
        "get",
        "/fleet-lcm/v1/health",
        "get_health",
        "fleet-lcm",
        "Fleet LCM health",
        200,
    ),
    op(
        "post",
        "/v1/tokens",
        "create_token",
        "sddc-manager",
        "Issue an access and a refresh token",
        200,
    ),
    op(
        "patch",
        "/v1/tokens/access-token/refresh",
        "refresh_access_token",
        "sddc-manager",
        "New access token from a refresh token",
        200,
    ),
    op(
        "delete",
        "/v1/tokens/refresh-token",
        "invalidate_refresh_token",
        "sddc-manager",
        "Invalidate a refresh token",
        204,
    ),
    op(
        "post",
        "/api/session",
        "com.vmware.cis.session.create",
        "vsphere",
        "Create a session (Basic auth)",
        201,
    ),
    op(
        "get",
        "/api/session",
        "com.vmware.cis.session.get",
        "vsphere",
        "Get the current session",
        200,
    ),
    op(
        "delete",
        "/api/session",
        "com.vmware.cis.session.delete",
        "vsphere",
        "Delete the current session",
        204,
    ),
    op(
        "get",
        "/api/cis/tasks",
        "com.vmware.cis.tasks.list",
        "vsphere",
        "List tasks",
        200,
    ),
    op(
        "get",
        "/api/cis/tasks/{task}",
        "com.vmware.cis.tasks.get",
        "vsphere",
        "Get a task",
        200,
    ),
    op(
        "post",
        "/api/cis/tasks/{task}",
        "com.vmware.cis.tasks.cancel",
        "vsphere",
        "Cancel a task (?action=cancel)",
        204,
    ),
    op(
        "get",
        "/health",
        "health",
        "operations",
        "Health of database and blob store",
        200,
    ),
    op(
        "get",
        "/metrics",
        "metrics",
        "operations",
        "Prometheus metrics",
        200,
    ),
    op(
        "get",
        "/openapi.json",
        "openapi",
        "operations",
        "This document",
        200,
    ),
];

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in OPERATIONS {
        let params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let entry = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        entry[o.method] = json!({
            "operationId": o.operation_id,
            "tags": [o.tag],
            "summary": o.summary,
            "parameters": params,
            "responses": {
                o.status.to_string(): {"description": "Success"},
                "default": {"description": "Error, in the family's error body"}
            }
        });
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "depotd", "version": env!("CARGO_PKG_VERSION")},
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "vmwareSession": {"type": "apiKey", "in": "header", "name": "vmware-api-session-id"}
        }},
        "paths": paths,
    })
}
