//! The stored forms of update sessions and their files.

use depot_model::{
    Checksum, ChecksumAlgorithm, FileTransfer, SessionFile, SourceType, StoredBlob,
    TransferEndpoint, TransferStatus, UpdateSession, UpdateSessionState,
};

use super::column::{Decoder, json_text_opt, size_value};
use super::{SqlValue, to_millis};
use crate::Result;

/// The columns of `update_sessions`, in the order of [`UpdateSessionRecord`].
pub(crate) const UPDATE_SESSION_COLUMNS: &str = "id, item_id, expected_content_version, state, \
     client_progress, error_message, expiration_time, creation_time, owner, version";

/// The columns of `session_files`, in the order of [`SessionFileRecord`].
pub(crate) const SESSION_FILE_COLUMNS: &str = "session_id, name, source_type, declared_size, \
     checksum_algorithm, checksum, pull_uri, pull_thumbprint, pull_certificate, upload_token, \
     status, bytes_transferred, digest, stored_size, error_message";

/// An `update_sessions` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct UpdateSessionRecord {
    pub id: String,
    pub item_id: String,
    pub expected_content_version: Option<i64>,
    pub state: String,
    pub client_progress: i64,
    pub error_message: Option<String>,
    pub expiration_time: i64,
    pub creation_time: i64,
    pub owner: String,
    pub version: i64,
}

impl UpdateSessionRecord {
    /// The column values of `s`, in [`UPDATE_SESSION_COLUMNS`] order.
    pub(crate) fn values(s: &UpdateSession, op: &'static str) -> Result<Vec<SqlValue>> {
        Ok(vec![
            s.id.to_string().into(),
            s.item_id.to_string().into(),
            s.expected_content_version.into(),
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
    pub(crate) fn into_session(self) -> Result<UpdateSession> {
        let d = Decoder::new("update session", &self.id);
        Ok(UpdateSession {
            id: d.parse("id", &self.id)?,
            item_id: d.parse("item_id", &self.item_id)?,
            expected_content_version: self.expected_content_version,
            state: d.named("state", &self.state, UpdateSessionState::parse)?,
            client_progress: d.percent("client_progress", self.client_progress)?,
            error_message: d.json_opt("error_message", self.error_message.as_deref())?,
            expiration_time: d.time("expiration_time", self.expiration_time)?,
            creation_time: d.time("creation_time", self.creation_time)?,
            owner: self.owner,
            version: self.version,
        })
    }
}

/// A `session_files` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct SessionFileRecord {
    pub session_id: String,
    pub name: String,
    pub source_type: String,
    pub declared_size: Option<i64>,
    pub checksum_algorithm: Option<String>,
    pub checksum: Option<String>,
    pub pull_uri: Option<String>,
    pub pull_thumbprint: Option<String>,
    pub pull_certificate: Option<String>,
    pub upload_token: String,
    pub status: String,
    pub bytes_transferred: i64,
    pub digest: Option<String>,
    pub stored_size: Option<i64>,
    pub error_message: Option<String>,
}

impl SessionFileRecord {
    /// The column values of `f`, in [`SESSION_FILE_COLUMNS`] order.
    pub(crate) fn values(f: &SessionFile, op: &'static str) -> Result<Vec<SqlValue>> {
        let pull = f.pull_endpoint.as_ref();
        let mut values = vec![
            f.session_id.to_string().into(),
            f.name.clone().into(),
            f.source_type.as_str().into(),
            f.declared_size.map(size_value).into(),
            f.declared_checksum
                .as_ref()
                .map(|c| c.algorithm.as_str().to_owned())
                .into(),
            f.declared_checksum.as_ref().map(|c| c.value.clone()).into(),
            pull.map(|p| p.uri.clone()).into(),
            pull.and_then(|p| p.ssl_thumbprint.clone()).into(),
            pull.and_then(|p| p.ssl_certificate.clone()).into(),
            f.upload_token.clone().into(),
        ];
        values.extend(Self::transfer_values(&f.transfer, op)?);
        Ok(values)
    }

    /// The values of the transfer columns (`status` to `error_message`), in
    /// [`SESSION_FILE_COLUMNS`] order.
    pub(crate) fn transfer_values(t: &FileTransfer, op: &'static str) -> Result<[SqlValue; 5]> {
        Ok([
            t.status.as_str().into(),
            size_value(t.bytes_transferred).into(),
            t.stored.map(|s| s.digest.to_string()).into(),
            t.stored.map(|s| size_value(s.size)).into(),
            json_text_opt(t.error_message.as_ref(), op)?.into(),
        ])
    }

    /// The domain file; `Corrupt` when a column does not decode.
    pub(crate) fn into_file(self) -> Result<SessionFile> {
        let d = Decoder::new(
            "session file",
            format_args!("{}/{}", self.session_id, self.name),
        );
        let declared_checksum = match (self.checksum_algorithm, self.checksum) {
            (Some(algorithm), Some(value)) => Some(Checksum {
                algorithm: d.named("checksum_algorithm", &algorithm, ChecksumAlgorithm::parse)?,
                value,
            }),
            _ => None,
        };
        let stored = match (
            d.digest_opt("digest", self.digest.as_deref())?,
            self.stored_size,
        ) {
            (Some(digest), Some(size)) => Some(StoredBlob {
                digest,
                size: d.size("stored_size", size)?,
            }),
            _ => None,
        };
        Ok(SessionFile {
            session_id: d.parse("session_id", &self.session_id)?,
            source_type: d.named("source_type", &self.source_type, SourceType::parse)?,
            declared_size: self
                .declared_size
                .map(|s| d.size("declared_size", s))
                .transpose()?,
            declared_checksum,
            pull_endpoint: self.pull_uri.map(|uri| TransferEndpoint {
                uri,
                ssl_thumbprint: self.pull_thumbprint,
                ssl_certificate: self.pull_certificate,
            }),
            upload_token: self.upload_token,
            transfer: FileTransfer {
                status: d.named("status", &self.status, TransferStatus::parse)?,
                bytes_transferred: d.size("bytes_transferred", self.bytes_transferred)?,
                stored,
                error_message: d.json_opt("error_message", self.error_message.as_deref())?,
            },
            name: self.name,
        })
    }
}
