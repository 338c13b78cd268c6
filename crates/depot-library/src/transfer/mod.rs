//! Update sessions (content in) and download sessions (content out): their life, their
//! files, the streaming of bytes into the blob store, and the expiry of idle sessions.

mod download;
mod expiry;
mod files;
pub(crate) mod names;
mod ovf;
mod pull;
mod token;
mod update;
mod upload;

use std::time::Duration;

pub use download::Served;
pub use expiry::ExpiryReport;
pub use files::{AddFile, Validation};
pub use pull::{PULL_JOB_KIND, PullJob, PullRequest};
pub(crate) use token::new_token;
pub use upload::Upload;

/// The largest file a session takes when the client declared no size.
pub const MAX_FILE_BYTES: u64 = 1 << 40;

/// How often an upload in progress records its byte count, at most.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

impl crate::ContentLibrary {
    /// When a session touched now expires.
    fn update_expiry(&self) -> depot_model::Timestamp {
        self.now() + chrono_delta(self.config().update_session_timeout)
    }

    /// When a download session touched now expires.
    fn download_expiry(&self) -> depot_model::Timestamp {
        self.now() + chrono_delta(self.config().download_session_timeout)
    }
}

fn chrono_delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}
