//! The life of an update session: open, read, keep alive, complete, cancel, fail,
//! delete.

use depot_metadata::CreateOutcome;
use depot_model::{
    ClientToken, ItemId, LibraryItem, Message, UpdateSession, UpdateSessionId, UpdateSessionState,
};

use crate::{ContentLibrary, LibraryError};

/// How often a state change is retried when the session changed meanwhile.
const CAS_ATTEMPTS: usize = 5;

/// Parses a session id; an id that is not one names no session.
pub(crate) fn session_id(raw: &str) -> Result<UpdateSessionId, LibraryError> {
    raw.parse().map_err(|_| not_found(raw))
}

pub(crate) fn not_found(raw: &str) -> LibraryError {
    LibraryError::NotFound {
        what: "update session",
        id: raw.to_owned(),
    }
}

fn item_id(raw: &str) -> Result<ItemId, LibraryError> {
    raw.parse().map_err(|_| LibraryError::NotFound {
        what: "library item",
        id: raw.to_owned(),
    })
}

impl ContentLibrary {
    /// Opens an update session on `item` for `owner`. `expected_content_version`: the
    /// content version the client saw (a different one is `ConcurrentChange`). One
    /// active session per item (`RESOURCE_BUSY`). A repeated `token` answers the first
    /// session.
    pub async fn create_update_session(
        &self,
        item: &str,
        expected_content_version: Option<&str>,
        owner: &str,
        token: Option<&ClientToken>,
    ) -> Result<UpdateSessionId, LibraryError> {
        let item_id = item_id(item)?;
        let expected = expected_content_version
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    LibraryError::Invalid(format!(
                        "library_item_content_version {v:?} is not a content version (a whole number)"
                    ))
                })
            })
            .transpose()?;
        let mut session = UpdateSession::new(item_id, owner, self.now(), self.update_expiry());
        session.expected_content_version = expected;
        match self
            .store()
            .insert_update_session(&session, token)
            .await
            .map_err(|e| match e {
                depot_metadata::MetadataError::ContentVersionMismatch { .. } => {
                    LibraryError::ConcurrentChange(e.to_string())
                }
                depot_metadata::MetadataError::NotFound { .. } => LibraryError::NotFound {
                    what: "library item",
                    id: item.to_owned(),
                },
                other => other.into(),
            })? {
            CreateOutcome::Created => Ok(session.id),
            CreateOutcome::Existing(id) => Ok(id),
        }
    }

    /// The update session `id`.
    pub async fn update_session(&self, id: &str) -> Result<UpdateSession, LibraryError> {
        self.store()
            .get_update_session(session_id(id)?)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Every update session (of `item`, when given; an unknown item is `NotFound`).
    pub async fn update_sessions(
        &self,
        item: Option<&str>,
    ) -> Result<Vec<UpdateSession>, LibraryError> {
        let item = match item {
            Some(raw) => {
                let id = item_id(raw)?;
                if self.store().get_item(id).await?.is_none() {
                    return Err(LibraryError::NotFound {
                        what: "library item",
                        id: raw.to_owned(),
                    });
                }
                Some(id)
            }
            None => None,
        };
        Ok(self.store().list_update_sessions(item).await?)
    }

    /// Extends an active session's expiration and records the client's progress
    /// (0–100).
    pub async fn keep_alive_update_session(
        &self,
        id: &str,
        progress: Option<i64>,
    ) -> Result<(), LibraryError> {
        let progress = progress.map(check_progress).transpose()?;
        let session = self.update_session(id).await?;
        require_active(&session)?;
        if self
            .store()
            .keep_alive_update_session(session.id, self.update_expiry(), progress)
            .await?
        {
            Ok(())
        } else {
            Err(LibraryError::NotAllowed(format!(
                "update session {id} is no longer active"
            )))
        }
    }

    /// Commits every file of the session to its item at once and bumps the item's
    /// content version. Files not `READY` (missing, short, failed) are
    /// `NOT_ALLOWED_IN_CURRENT_STATE` naming them, and nothing changes; so is an OVF
    /// descriptor that names files neither the session nor the item has.
    pub async fn complete_update_session(&self, id: &str) -> Result<LibraryItem, LibraryError> {
        let session = self.update_session(id).await?;
        require_active(&session)?;
        let files = self.store().session_files(session.id).await?;
        let missing = self.missing_ovf_files(&session, &files).await?;
        if !missing.is_empty() {
            return Err(LibraryError::NotAllowed(format!(
                "the OVF descriptor names files that are neither in the session nor in the \
                 item: {}",
                missing.join(", ")
            )));
        }
        Ok(self
            .store()
            .complete_update_session(session.id, self.now())
            .await?)
    }

    /// Cancels an active session: nothing is committed, its uploads are dropped.
    pub async fn cancel_update_session(&self, id: &str) -> Result<(), LibraryError> {
        self.end_update_session(id, UpdateSessionState::Canceled, None)
            .await
    }

    /// Fails an active session with the client's message.
    pub async fn fail_update_session(
        &self,
        id: &str,
        client_error_message: &str,
    ) -> Result<(), LibraryError> {
        let message = Message::new(
            "com.vmware.depotd.content.update_session.client_error",
            client_error_message,
        );
        self.end_update_session(id, UpdateSessionState::Error, Some(message))
            .await
    }

    /// Deletes a session that is no longer active.
    pub async fn delete_update_session(&self, id: &str) -> Result<(), LibraryError> {
        if self.store().delete_update_session(session_id(id)?).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Checks an update of the session (vSphere's `update`, which only carries the
    /// warning behaviour): the session must be active. depotd shows no preview
    /// warnings, so there is nothing to keep.
    pub async fn check_update_session_update(&self, id: &str) -> Result<(), LibraryError> {
        let session = self.update_session(id).await?;
        require_active(&session)
    }

    /// Moves an active session to `state` (compare-and-set, retried when it changed
    /// meanwhile).
    pub(crate) async fn end_update_session(
        &self,
        id: &str,
        state: UpdateSessionState,
        message: Option<Message>,
    ) -> Result<(), LibraryError> {
        for _ in 0..CAS_ATTEMPTS {
            let mut session = self.update_session(id).await?;
            require_active(&session)?;
            session.state = state;
            session.error_message.clone_from(&message);
            if self
                .store()
                .update_update_session(&session)
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(LibraryError::ConcurrentChange(format!(
            "update session {id} keeps changing; try again"
        )))
    }
}

/// `NotAllowed` unless the session is active.
pub(crate) fn require_active(session: &UpdateSession) -> Result<(), LibraryError> {
    if session.state == UpdateSessionState::Active {
        Ok(())
    } else {
        Err(LibraryError::NotAllowed(format!(
            "update session {} is {}, not ACTIVE",
            session.id,
            session.state.as_str()
        )))
    }
}

/// A client progress within 0–100.
pub(crate) fn check_progress(p: i64) -> Result<u8, LibraryError> {
    u8::try_from(p)
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| LibraryError::Invalid(format!("client_progress {p} is not within 0 to 100")))
}
