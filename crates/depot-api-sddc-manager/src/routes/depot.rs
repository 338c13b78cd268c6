//! `vmware.sddc_manager.v1.system.settings.depot` (+ `.depot_sync_info`,
//! `.machine_details`).

use axum::extract::State;
use axum::http::StatusCode;
use depot_http::{BearerCaller, Json, JsonBody, Problem, QueryPairs};
use depot_model::Privilege;
use depot_sync::{DepotType, SyncError};

use crate::SddcState;
use crate::wire::depot::{DepotSettingsIn, DepotSettingsOut, DepotSyncInfoOut, MachineDetailsOut};

/// `GET /v1/system/settings/depot` — get_depot_settings.
pub async fn get(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
) -> Result<Json<DepotSettingsOut>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let view = state.depot.settings().await?;
    Ok(Json(view.into()))
}

/// `PUT /v1/system/settings/depot` — update_depot_settings: stores the settings and
/// answers them with the connection status.
pub async fn update(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
    body: JsonBody,
) -> Result<Json<DepotSettingsOut>, Problem> {
    caller.require(Privilege::DepotSettingsWrite)?;
    let body: DepotSettingsIn = body.parse()?;
    let view = state
        .depot
        .put_settings(body.into(), caller.user.as_str())
        .await?;
    Ok(Json(view.into()))
}

/// `DELETE /v1/system/settings/depot?depotType=` — delete_depot_settings.
pub async fn delete(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
    query: QueryPairs,
) -> Result<StatusCode, Problem> {
    caller.require(Privilege::DepotSettingsWrite)?;
    query.only(&["depotType"])?;
    let depot_type = query
        .get("depotType")?
        .filter(|t| !t.is_empty())
        .map(DepotType::parse)
        .transpose()?;
    state
        .depot
        .delete_settings(depot_type, caller.user.as_str())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/system/settings/depot/depot-sync-info` — get_depot_sync_info.
pub async fn sync_info(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
) -> Result<Json<DepotSyncInfoOut>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let info = state.depot.sync_info().await?;
    Ok(Json(info.into()))
}

/// `PATCH /v1/system/settings/depot/depot-sync-info` — sync_depot_metadata: starts the
/// same sync as fleet-lcm's (or joins the running one) and answers the state after it.
pub async fn sync(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
) -> Result<(StatusCode, Json<DepotSyncInfoOut>), Problem> {
    caller.require(Privilege::DepotSync)?;
    if !state.depot.is_configured().await? {
        return Err(SyncError::NotConfigured.into());
    }
    state.depot.sync(caller.user.as_str()).await?;
    let info = state.depot.sync_info().await?;
    Ok((StatusCode::ACCEPTED, Json(info.into())))
}

/// `GET /v1/system/settings/depot/machine-details` — get_machine_details.
pub async fn machine_details(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
) -> Result<Json<MachineDetailsOut>, Problem> {
    caller.require(Privilege::SystemRead)?;
    Ok(Json(MachineDetailsOut {
        machine_id: state.depot.machine_id(),
    }))
}
