//! The OpenAPI document of the REST routes: the fleet-lcm, SDDC Manager and
//! operations routes from one table here, the vSphere routes from their registry.

use serde_json::{Map, Value, json};

use crate::app::App;

/// One documented operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: String,
    /// Path template as served.
    pub path: String,
    /// Upstream operation id (binding name).
    pub operation_id: String,
    /// API family tag.
    pub tag: &'static str,
    /// One-line summary.
    pub summary: String,
    /// Success status.
    pub status: u16,
}

/// method, path, operation id, tag, summary, success status.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u16,
);

/// The fleet-lcm, SDDC Manager and operations routes, in contract order per family.
const TABLE: &[Row] = &[
    (
        "get",
        "/fleet-lcm/v1/tasks",
        "get_tasks",
        "fleet-lcm",
        "List tasks (filters and paging)",
        200,
    ),
    (
        "get",
        "/fleet-lcm/v1/tasks/{taskId}",
        "get_task",
        "fleet-lcm",
        "Get a task",
        200,
    ),
    (
        "post",
        "/fleet-lcm/v1/tasks/{taskId}",
        "retry_task/cancel_task",
        "fleet-lcm",
        "Retry or cancel a task (?action=retry|cancel)",
        200,
    ),
    (
        "get",
        "/fleet-lcm/v1/health",
        "get_health",
        "fleet-lcm",
        "Fleet LCM health",
        200,
    ),
    (
        "get",
        "/fleet-lcm/v1/release-versions",
        "get_release_versions",
        "fleet-lcm",
        "Release versions of the synced manifest and catalog (paged)",
        200,
    ),
    (
        "get",
        "/v1/product-version-catalogs",
        "get_product_version_catalog_content",
        "sddc-manager",
        "The current product version catalog",
        200,
    ),
    (
        "post",
        "/v1/product-version-catalogs",
        "upload_product_version_catalog_with_signature",
        "sddc-manager",
        "Replace the catalog with a signed server-local file",
        202,
    ),
    (
        "patch",
        "/v1/product-version-catalogs",
        "update_product_version_catalog_patches",
        "sddc-manager",
        "Merge the patches of a signed server-local file",
        202,
    ),
    (
        "get",
        "/v1/product-version-catalogs/upload-tasks/{taskId}",
        "get_product_version_catalog_upload_task",
        "sddc-manager",
        "A catalog upload task",
        200,
    ),
    (
        "get",
        "/v1/system/settings/depot",
        "get_depot_settings",
        "sddc-manager",
        "Get the depot settings (no secrets)",
        200,
    ),
    (
        "put",
        "/v1/system/settings/depot",
        "update_depot_settings",
        "sddc-manager",
        "Set the depot settings; tests the connection",
        200,
    ),
    (
        "delete",
        "/v1/system/settings/depot",
        "delete_depot_settings",
        "sddc-manager",
        "Delete the depot settings or one account (?depotType=VMWARE|OFFLINE)",
        204,
    ),
    (
        "get",
        "/v1/system/settings/depot/depot-sync-info",
        "get_depot_sync_info",
        "sddc-manager",
        "State of the depot metadata sync",
        200,
    ),
    (
        "patch",
        "/v1/system/settings/depot/depot-sync-info",
        "sync_depot_metadata",
        "sddc-manager",
        "Start a depot metadata sync",
        202,
    ),
    (
        "get",
        "/v1/system/settings/depot/machine-details",
        "get_machine_details",
        "sddc-manager",
        "The machine id of this installation",
        200,
    ),
    (
        "post",
        "/v1/tokens",
        "create_token",
        "sddc-manager",
        "Issue an access and a refresh token",
        200,
    ),
    (
        "patch",
        "/v1/tokens/access-token/refresh",
        "refresh_access_token",
        "sddc-manager",
        "New access token from a refresh token",
        200,
    ),
    (
        "delete",
        "/v1/tokens/refresh-token",
        "invalidate_refresh_token",
        "sddc-manager",
        "Invalidate a refresh token",
        204,
    ),
    (
        "post",
        "/api",
        "invoke",
        "vsphere",
        "vAPI JSON-RPC 2.0: every vSphere operation",
        200,
    ),
    (
        "get",
        "/depot/{path}",
        "depot_file",
        "downstream",
        "A synced depot file (Basic auth; ETag, Last-Modified, Range)",
        200,
    ),
    (
        "get",
        "/health",
        "health",
        "operations",
        "Health of database and blob store",
        200,
    ),
    (
        "get",
        "/metrics",
        "metrics",
        "operations",
        "Prometheus metrics",
        200,
    ),
    (
        "get",
        "/openapi.json",
        "openapi",
        "operations",
        "This document",
        200,
    ),
];

/// Every REST operation served.
pub fn operations(registry: &depot_api_vsphere::Registry<App>) -> Vec<Operation> {
    let fixed = TABLE
        .iter()
        .map(|(method, path, id, tag, summary, status)| Operation {
            method: (*method).to_owned(),
            path: (*path).to_owned(),
            operation_id: (*id).to_owned(),
            tag,
            summary: (*summary).to_owned(),
            status: *status,
        });
    let vsphere = registry.operations().iter().filter_map(|op| {
        let rest = op.rest.as_ref()?;
        let id = op.id();
        Some(Operation {
            method: rest.method.as_str().to_ascii_lowercase(),
            path: format!("/api{}", rest.path),
            summary: match rest.action {
                Some(action) => format!("{id} (?action={action})"),
                None => id.clone(),
            },
            operation_id: id,
            tag: "vsphere",
            status: rest.status.as_u16(),
        })
    });
    fixed.chain(vsphere).collect()
}

/// The OpenAPI 3.1 document.
pub fn document(registry: &depot_api_vsphere::Registry<App>) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations(registry) {
        let params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let entry = paths.entry(o.path.clone()).or_insert_with(|| json!({}));
        entry[o.method.as_str()] = json!({
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
