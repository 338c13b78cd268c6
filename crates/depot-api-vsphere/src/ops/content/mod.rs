//! The content library's operations (`com.vmware.content.*`), one file per service:
//! libraries and items, and the update and download sessions that move their content.

use axum::extract::FromRef;
use depot_http::Services;
use depot_library::ContentLibrary;

use crate::vapi::registry::Operation;

/// Every content-library operation.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    // Libraries and items:
    // Update and download sessions:
    Vec::new()
}
