//! The OpenAPI document, generated from the same route declarations the routers are
//! built from: each family's `route_docs` (its `ApiRoutes`), the vSphere operation
//! registry, the legacy `/rest` routes, the downstream depot and the operations routes.

use depot_http::RouteDoc;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::{downstream, ops, vcsp};

/// Every route served, with its full path.
pub fn operations(app: &App) -> Vec<RouteDoc> {
    let under = |prefix: &'static str| move |doc: RouteDoc| doc.under(prefix);
    let mut all = Vec::new();
    all.extend(
        depot_api_fleet_lcm::route_docs()
            .into_iter()
            .map(under("/fleet-lcm")),
    );
    all.extend(
        depot_api_sddc_manager::route_docs()
            .into_iter()
            .map(under("/v1")),
    );
    all.extend(
        depot_api_vsphere::route_docs(&app.vsphere_registry())
            .into_iter()
            .map(under("/api")),
    );
    all.extend(
        depot_api_vsphere::legacy::route_docs::<App>()
            .into_iter()
            .map(under("/rest")),
    );
    all.extend(downstream::route_docs().into_iter().map(under("/depot")));
    all.extend(depot_api_vsphere::vum_upload::route_docs());
    all.extend(vcsp::route_docs().into_iter().map(under("/cls/vcsp/lib")));
    all.extend(ops::route_docs());
    all
}

/// The OpenAPI 3.1 document.
pub fn document(app: &App) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations(app) {
        // OpenAPI has no catch-all parameters: `{*path}` is written `{path}`.
        let path = o.path.replace("{*", "{");
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[o.method.as_str().to_ascii_lowercase()] = json!({
            "operationId": o.operation_id,
            "tags": [o.tag],
            "summary": o.summary,
            "parameters": params,
            "responses": {
                o.status.as_str(): {"description": "Success"},
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
