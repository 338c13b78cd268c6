//! Wire types of the content library (`com.vmware.content.*`).

pub mod download_session;
pub mod download_session_file;
pub mod update_session;
pub mod update_session_file;
