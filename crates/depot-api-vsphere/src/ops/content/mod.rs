//! The content library's operations (`com.vmware.content.*`), one file per service:
//! libraries and items, and the update and download sessions that move their content.

mod convert;
pub mod item;
pub mod item_file;
pub mod library;
pub mod local_library;
pub mod subscribed_item;
pub mod subscribed_library;

use axum::extract::FromRef;
use depot_http::Services;
use depot_library::ContentLibrary;

use crate::vapi::registry::Operation;

pub mod download_session;
pub mod download_session_file;
pub mod update_session;
pub mod update_session_file;

/// Every content-library operation.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    // Libraries and items:
    let mut ops = library::operations();
    ops.extend(local_library::operations());
    ops.extend(subscribed_library::operations());
    ops.extend(item::operations());
    ops.extend(item_file::operations());
    ops.extend(subscribed_item::operations());
    // Update and download sessions:
    ops.extend(update_session::operations());
    ops.extend(update_session_file::operations());
    ops.extend(download_session::operations());
    ops.extend(download_session_file::operations());
    ops
}
