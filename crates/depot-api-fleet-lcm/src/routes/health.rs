//! `vcf.fleet_lcm.v1.health`.

use depot_http::{BearerCaller, Json};
use serde::Serialize;

/// `{"up": true}`.
#[derive(Serialize)]
pub struct Health {
    up: bool,
}

/// `GET /v1/health` — get_health.
pub async fn get(_caller: BearerCaller) -> Json<Health> {
    Json(Health { up: true })
}
