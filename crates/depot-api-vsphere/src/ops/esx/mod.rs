//! ESX lifecycle settings operations (`com.vmware.esx.settings.*`), one file per service.

pub mod depots;
pub mod offline_depots;
pub mod online;

use axum::extract::FromRef;
use depot_esx_depots::EsxDepots;
use depot_esx_online::OnlineDepots;
use depot_http::Services;

use crate::vapi::registry::Operation;

/// Every ESX settings operation.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    EsxDepots: FromRef<S>,
    OnlineDepots: FromRef<S>,
{
    let mut ops = offline_depots::operations();
    ops.extend(online::operations());
    ops.extend(depots::operations());
    ops
}
