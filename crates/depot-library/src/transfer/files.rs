//! The files of an update session: adding (with an upload token for `PUSH`), reading,
//! removing, validating.

use depot_model::{
    Checksum, FileTransfer, SessionFile, SourceType, TransferEndpoint, TransferStatus,
    UpdateSession,
};

use super::names::check_file_name;
use super::token::new_token;
use super::update::{require_active, session_id};
use crate::{ContentLibrary, LibraryError};

/// A file to add to a session, as the client describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddFile {
    /// Its name in the item.
    pub name: String,
    /// How its content arrives.
    pub source_type: SourceType,
    /// The size the client announces.
    pub size: Option<u64>,
    /// The checksum the client announces.
    pub checksum: Option<Checksum>,
    /// Where depotd pulls it from (`PULL`).
    pub source_endpoint: Option<TransferEndpoint>,
}

/// What validating a session found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    /// Files an OVF descriptor names that neither the session nor the item has.
    pub missing_files: Vec<String>,
    /// Files of the session that are not usable, with why.
    pub invalid_files: Vec<(String, String)>,
}

impl Validation {
    /// Whether anything is missing or invalid.
    pub fn has_errors(&self) -> bool {
        !self.missing_files.is_empty() || !self.invalid_files.is_empty()
    }
}

impl ContentLibrary {
    /// Adds a file to an active session. `PUSH` files get an upload token (the URL's
    /// capability); `PULL` files need a source endpoint, fetched by a
    /// [`PullRequest`](super::PullRequest) task the caller submits.
    pub async fn add_session_file(
        &self,
        session: &str,
        spec: AddFile,
    ) -> Result<SessionFile, LibraryError> {
        let s = self.active_session(session).await?;
        check_file_name(&spec.name)?;
        if let Some(c) = &spec.checksum {
            depot_blobs::Checksum::declared(c)
                .map_err(|e| LibraryError::Invalid(format!("checksum_info: {e}")))?;
        }
        match spec.source_type {
            SourceType::Push => {}
            SourceType::Pull => {
                let endpoint = spec.source_endpoint.as_ref().ok_or_else(|| {
                    LibraryError::Invalid(
                        "a PULL file needs source_endpoint.uri: the http(s) URL depotd fetches it from"
                            .to_owned(),
                    )
                })?;
                super::pull::check_endpoint(endpoint)?;
            }
            SourceType::None => {
                return Err(LibraryError::Invalid(
                    "source_type NONE is not supported by depotd: add the file with PUSH (and send its bytes to the upload endpoint) or PULL".to_owned(),
                ));
            }
        }
        let file = SessionFile {
            session_id: s.id,
            name: spec.name,
            source_type: spec.source_type,
            declared_size: spec.size,
            declared_checksum: spec.checksum,
            pull_endpoint: spec.source_endpoint,
            upload_token: new_token()?,
            transfer: FileTransfer::waiting(),
        };
        self.store().add_session_file(&file).await?;
        Ok(file)
    }

    /// The files of a session, by name.
    pub async fn session_files(&self, session: &str) -> Result<Vec<SessionFile>, LibraryError> {
        let s = self.update_session(session).await?;
        Ok(self.store().session_files(s.id).await?)
    }

    /// The file `name` of a session.
    pub async fn session_file(
        &self,
        session: &str,
        name: &str,
    ) -> Result<SessionFile, LibraryError> {
        self.store()
            .session_file(session_id(session)?, name)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "update session file",
                id: name.to_owned(),
            })
    }

    /// Removes a file (and its uploaded content) from an active session.
    pub async fn remove_session_file(&self, session: &str, name: &str) -> Result<(), LibraryError> {
        let s = self.active_session(session).await?;
        if self.store().remove_session_file(s.id, name).await? {
            Ok(())
        } else {
            Err(LibraryError::NotFound {
                what: "update session file",
                id: name.to_owned(),
            })
        }
    }

    /// Checks an active session's files: files not `READY` are invalid; for an OVF
    /// item (or a `.ovf` file), disks its descriptor names that neither the session
    /// nor the item has are missing.
    pub async fn validate_session(&self, session: &str) -> Result<Validation, LibraryError> {
        let s = self.active_session(session).await?;
        let files = self.store().session_files(s.id).await?;
        let mut report = Validation::default();
        for f in &files {
            match f.transfer.status {
                TransferStatus::Ready => {}
                TransferStatus::Error => report.invalid_files.push((
                    f.name.clone(),
                    f.transfer
                        .error_message
                        .as_ref()
                        .map_or_else(|| "the transfer failed".to_owned(), |m| m.default.clone()),
                )),
                other => report.invalid_files.push((
                    f.name.clone(),
                    format!("not transferred yet (status {})", other.as_str()),
                )),
            }
        }
        report.missing_files = self.missing_ovf_files(&s, &files).await?;
        Ok(report)
    }

    /// The session `id`, which must be active.
    pub(crate) async fn active_session(&self, id: &str) -> Result<UpdateSession, LibraryError> {
        let s = self.update_session(id).await?;
        require_active(&s)?;
        Ok(s)
    }
}
