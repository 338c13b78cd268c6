//! The stored forms of download sessions and their prepared files.

use depot_model::{DownloadFile, DownloadFileStatus, DownloadSession, DownloadSessionState};

use super::column::{Decoder, json_text_opt};
use super::{SqlValue, to_millis};
use crate::Result;

/// The columns of `download_sessions`, in the order of [`DownloadSessionRecord`].
pub(crate) const DOWNLOAD_SESSION_COLUMNS: &str = "id, item_id, content_version, state, \
     client_progress, error_message, expiration_time, creation_time, owner, version";

/// The columns of `download_files`, in the order of [`DownloadFileRecord`].
pub(crate) const DOWNLOAD_FILE_COLUMNS: &str =
    "session_id, name, status, size, digest, download_token, error_message";

/// A `download_sessions` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct DownloadSessionRecord {
    pub id: String,
    pub item_id: String,
    pub content_version: i64,
    pub state: String,
    pub client_progress: i64,
    pub error_message: Option<String>,
    pub expiration_time: i64,
    pub creation_time: i64,
    pub owner: String,
    pub version: i64,
}

impl DownloadSessionRecord {
    /// The column values of `s`, in [`DOWNLOAD_SESSION_COLUMNS`] order.
    pub(crate) fn values(s: &DownloadSession, op: &'static str) -> Result<Vec<SqlValue>> {
        Ok(vec![
            s.id.to_string().into(),
            s.item_id.to_string().into(),
            s.content_version.into(),
            s.state.as_str().into(),
            i64::from(s.client_progress).into(),
            json_text_opt(s.error_message.as_ref(), op)?.into(),
            to_millis(s.expiration_time).into(),
            to_millis(s.creation_time).into(),
            s.owner.clone().into(),
            s.version.into(),
        ])
    }

    /// The domain session; `Corrupt` when a column does not decode.
    pub(crate) fn into_session(self) -> Result<DownloadSession> {
        let d = Decoder::new("download session", &self.id);
        Ok(DownloadSession {
            id: d.parse("id", &self.id)?,
            item_id: d.parse("item_id", &self.item_id)?,
            content_version: self.content_version,
            state: d.named("state", &self.state, DownloadSessionState::parse)?,
            client_progress: d.percent("client_progress", self.client_progress)?,
            error_message: d.json_opt("error_message", self.error_message.as_deref())?,
            expiration_time: d.time("expiration_time", self.expiration_time)?,
            creation_time: d.time("creation_time", self.creation_time)?,
            owner: self.owner,
            version: self.version,
        })
    }
}

/// A `download_files` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct DownloadFileRecord {
    pub session_id: String,
    pub name: String,
    pub status: String,
    pub size: i64,
    pub digest: Option<String>,
    pub download_token: String,
    pub error_message: Option<String>,
}

impl DownloadFileRecord {
    /// The domain file; `Corrupt` when a column does not decode.
    pub(crate) fn into_file(self) -> Result<DownloadFile> {
        let d = Decoder::new(
            "download file",
            format_args!("{}/{}", self.session_id, self.name),
        );
        Ok(DownloadFile {
            session_id: d.parse("session_id", &self.session_id)?,
            status: d.named("status", &self.status, DownloadFileStatus::parse)?,
            size: d.size("size", self.size)?,
            digest: d.digest_opt("digest", self.digest.as_deref())?,
            error_message: d.json_opt("error_message", self.error_message.as_deref())?,
            name: self.name,
            download_token: self.download_token,
        })
    }
}
