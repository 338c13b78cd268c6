//! Wire types of the content library (`com.vmware.content.*`), as in the contract.

pub mod download_session;
pub mod download_session_file;
pub mod item;
pub mod library;
pub mod subscribed_library;
pub mod update_session;
pub mod update_session_file;
