//! `vcf.fleet_lcm.v1.depot_metadata` / sync_depot_metadata.

use axum::extract::State;
use axum::http::StatusCode;
use depot_http::{BearerCaller, Json, Problem, QueryPairs};
use depot_model::Privilege;
use depot_sync::{DepotService, SyncError};
use std::sync::Arc;

use crate::wire::task::Task;

/// `POST /v1/depot-metadata?action=sync` — starts a sync, or answers the one already
/// pending or running (manual or scheduled) with 202 either way.
pub async fn action(
    State(depot): State<Arc<DepotService>>,
    BearerCaller(caller): BearerCaller,
    query: QueryPairs,
) -> Result<(StatusCode, Json<Task>), Problem> {
    caller.require(Privilege::DepotSync)?;
    query.only(&["action"])?;
    match query.get("action")? {
        Some("sync") => {}
        other => {
            return Err(Problem::invalid(
                "INVALID_ACTION",
                format!("action must be sync, not {:?}", other.unwrap_or("")),
            ));
        }
    }
    if !depot.is_configured().await? {
        return Err(SyncError::NotConfigured.into());
    }
    let task = depot.sync(caller.user.as_str()).await?;
    Ok((StatusCode::ACCEPTED, Json(Task::from(&task))))
}
