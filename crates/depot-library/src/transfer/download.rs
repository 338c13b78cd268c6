//! Download sessions: open, read, keep alive, cancel, fail, delete; preparing a file
//! (fixing the blob it serves) and resolving a download token.

use depot_metadata::CreateOutcome;
use depot_model::{
    ClientToken, DownloadFile, DownloadFileStatus, DownloadSession, DownloadSessionId,
    DownloadSessionState, ItemId, Message,
};

use super::token::new_token;
use super::update::check_progress;
use crate::{ContentLibrary, LibraryError};

/// How often a state change is retried when the session changed meanwhile.
const CAS_ATTEMPTS: usize = 5;

fn session_id(raw: &str) -> Result<DownloadSessionId, LibraryError> {
    raw.parse().map_err(|_| not_found(raw))
}

fn not_found(raw: &str) -> LibraryError {
    LibraryError::NotFound {
        what: "download session",
        id: raw.to_owned(),
    }
}

fn item_not_found(raw: &str) -> LibraryError {
    LibraryError::NotFound {
        what: "library item",
        id: raw.to_owned(),
    }
}

/// A file a download token serves: the prepared file, and whether its session still
/// allows downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The prepared file (its digest fixed at prepare time).
    pub file: DownloadFile,
}

impl ContentLibrary {
    /// Opens a download session on `item` at its current content version.
    pub async fn create_download_session(
        &self,
        item: &str,
        owner: &str,
        token: Option<&ClientToken>,
    ) -> Result<DownloadSessionId, LibraryError> {
        let id: ItemId = item.parse().map_err(|_| item_not_found(item))?;
        let found = self
            .store()
            .get_item(id)
            .await?
            .ok_or_else(|| item_not_found(item))?;
        let session = DownloadSession::new(
            id,
            found.content_version,
            owner,
            self.now(),
            self.download_expiry(),
        );
        match self
            .store()
            .insert_download_session(&session, token)
            .await?
        {
            CreateOutcome::Created => Ok(session.id),
            CreateOutcome::Existing(existing) => Ok(existing),
        }
    }

    /// The download session `id`.
    pub async fn download_session(&self, id: &str) -> Result<DownloadSession, LibraryError> {
        self.store()
            .get_download_session(session_id(id)?)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Every download session (of `item`, when given).
    pub async fn download_sessions(
        &self,
        item: Option<&str>,
    ) -> Result<Vec<DownloadSession>, LibraryError> {
        let item = match item {
            Some(raw) => {
                let id: ItemId = raw.parse().map_err(|_| item_not_found(raw))?;
                if self.store().get_item(id).await?.is_none() {
                    return Err(item_not_found(raw));
                }
                Some(id)
            }
            None => None,
        };
        Ok(self.store().list_download_sessions(item).await?)
    }

    /// Extends an active session and records the client's progress.
    pub async fn keep_alive_download_session(
        &self,
        id: &str,
        progress: Option<i64>,
    ) -> Result<(), LibraryError> {
        let progress = progress.map(check_progress).transpose()?;
        let expiry = self.download_expiry();
        self.change_download_session(id, |s| {
            s.expiration_time = expiry;
            if let Some(p) = progress {
                s.client_progress = p;
            }
        })
        .await
    }

    /// Cancels an active session: its files are no longer served.
    pub async fn cancel_download_session(&self, id: &str) -> Result<(), LibraryError> {
        self.change_download_session(id, |s| s.state = DownloadSessionState::Canceled)
            .await
    }

    /// Fails an active session with the client's message.
    pub async fn fail_download_session(
        &self,
        id: &str,
        client_error_message: &str,
    ) -> Result<(), LibraryError> {
        let message = Message::new(
            "com.vmware.depotd.content.download_session.client_error",
            client_error_message,
        );
        self.change_download_session(id, |s| {
            s.state = DownloadSessionState::Error;
            s.error_message = Some(message.clone());
        })
        .await
    }

    /// Deletes a session (any state) with its prepared files.
    pub async fn delete_download_session(&self, id: &str) -> Result<(), LibraryError> {
        if self
            .store()
            .delete_download_session(session_id(id)?)
            .await?
        {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// The item's files as the session sees them: prepared ones as prepared, the others
    /// `UNPREPARED` (with their current size).
    pub async fn download_files(&self, id: &str) -> Result<Vec<DownloadFile>, LibraryError> {
        let session = self.download_session(id).await?;
        let prepared = self.store().download_files(session.id).await?;
        let item_files = self.store().item_files(session.item_id).await?;
        let mut out: Vec<DownloadFile> = item_files
            .into_iter()
            .map(|f| {
                prepared
                    .iter()
                    .find(|p| p.name == f.name)
                    .cloned()
                    .unwrap_or(DownloadFile {
                        session_id: session.id,
                        name: f.name,
                        status: DownloadFileStatus::Unprepared,
                        size: f.size,
                        digest: None,
                        download_token: String::new(),
                        error_message: None,
                    })
            })
            .collect();
        // Prepared files whose item file has gone since are still served.
        for p in prepared {
            if !out.iter().any(|f| f.name == p.name) {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The file `name` of a session.
    pub async fn download_file(&self, id: &str, name: &str) -> Result<DownloadFile, LibraryError> {
        self.download_files(id)
            .await?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or_else(|| LibraryError::NotFound {
                what: "library item file",
                id: name.to_owned(),
            })
    }

    /// Prepares file `name` for download: fixes the content it serves and gives it an
    /// unguessable token. The session must be active. An uncached file of a subscribed
    /// item is fetched from the publisher first: it is `PREPARING` until then.
    pub async fn prepare_download_file(
        &self,
        id: &str,
        name: &str,
    ) -> Result<DownloadFile, LibraryError> {
        let session = self.download_session(id).await?;
        require_active(&session)?;
        if let Some(file) = self.store().item_file(session.item_id, name).await?
            && file.digest.is_none()
            && self.fetchable(session.item_id).await?
        {
            return self.prepare_after_fetch(session.id, file).await;
        }
        Ok(self
            .store()
            .prepare_download_file(session.id, name, &new_token()?)
            .await?)
    }

    /// The prepared file a download token and name serve, while its session is active
    /// and not expired; `NotFound` otherwise (saying nothing more).
    pub async fn served_file(&self, token: &str, name: &str) -> Result<Served, LibraryError> {
        let gone = || LibraryError::NotFound {
            what: "download",
            id: String::new(),
        };
        let file = self
            .store()
            .download_file_by_token(token)
            .await?
            .filter(|f| f.name == name && f.status == DownloadFileStatus::Prepared)
            .ok_or_else(gone)?;
        let session = self
            .store()
            .get_download_session(file.session_id)
            .await?
            .ok_or_else(gone)?;
        if session.state != DownloadSessionState::Active || session.expiration_time < self.now() {
            return Err(gone());
        }
        Ok(Served { file })
    }

    /// Applies `change` to an active session (compare-and-set, retried).
    async fn change_download_session(
        &self,
        id: &str,
        change: impl Fn(&mut DownloadSession),
    ) -> Result<(), LibraryError> {
        for _ in 0..CAS_ATTEMPTS {
            let mut session = self.download_session(id).await?;
            require_active(&session)?;
            change(&mut session);
            if self
                .store()
                .update_download_session(&session)
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(LibraryError::ConcurrentChange(format!(
            "download session {id} keeps changing; try again"
        )))
    }
}

fn require_active(session: &DownloadSession) -> Result<(), LibraryError> {
    if session.state == DownloadSessionState::Active {
        Ok(())
    } else {
        Err(LibraryError::NotAllowed(format!(
            "download session {} is {}, not ACTIVE",
            session.id,
            session.state.as_str()
        )))
    }
}
