//! The vSphere operations this crate defines, one file per service.

pub mod content;
pub mod datastore;
pub mod esx;
pub mod session;
pub mod tasks;

use axum::extract::FromRef;
use depot_esx_depots::EsxDepots;
use depot_esx_online::OnlineDepots;
use depot_http::Services;
use depot_library::ContentLibrary;

use crate::vapi::registry::Operation;

/// Every operation: CIS sessions and tasks, content libraries, ESX depots.
pub fn all<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
    OnlineDepots: FromRef<S>,
    EsxDepots: FromRef<S>,
{
    let mut ops = session::operations();
    ops.extend(tasks::operations());
    ops.extend(content::operations());
    ops.extend(esx::operations());
    ops
}
