//! Expiry: active sessions nobody kept alive are canceled, which drops their partial
//! uploads and prepared files (their blob references; the blob collector reclaims the
//! bytes).

use depot_model::{DownloadSessionState, Message, UpdateSessionState};

use crate::{ContentLibrary, LibraryError};

/// What one expiry pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Update sessions canceled.
    pub update_sessions: u64,
    /// Download sessions canceled.
    pub download_sessions: u64,
}

impl ContentLibrary {
    /// Cancels every active session whose expiration time has passed.
    pub async fn expire_sessions(&self) -> Result<ExpiryReport, LibraryError> {
        let now = self.now();
        let mut report = ExpiryReport::default();
        for mut s in self.store().expired_update_sessions(now).await? {
            s.state = UpdateSessionState::Canceled;
            s.error_message = Some(expired_message());
            // A session kept alive or ended meanwhile is left as it is.
            if self.store().update_update_session(&s).await?.is_some() {
                report.update_sessions += 1;
            }
        }
        for mut s in self.store().expired_download_sessions(now).await? {
            s.state = DownloadSessionState::Canceled;
            s.error_message = Some(expired_message());
            if self.store().update_download_session(&s).await?.is_some() {
                report.download_sessions += 1;
            }
        }
        Ok(report)
    }
}

fn expired_message() -> Message {
    Message::new(
        "com.vmware.depotd.content.session_expired",
        "The session expired: it was not kept alive",
    )
}
