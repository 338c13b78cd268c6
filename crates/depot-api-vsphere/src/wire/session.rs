//! `com.vmware.cis.session.info`.

use serde::Serialize;

/// What `GET /api/session` returns.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    pub user: String,
    pub created_time: String,
    pub last_accessed_time: String,
}
