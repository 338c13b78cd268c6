//! Receiving a pushed file: the upload token names the file, the body streams into
//! the blob store through the declared checks, and the file's status follows.

use depot_blobs::{BlobError, Checksum, ChecksumMismatch, Expected, Progress, Verifying};
use depot_model::{FileTransfer, Message, SessionFile, TransferStatus, UpdateSessionState};
use tokio::io::AsyncRead;

use super::{MAX_FILE_BYTES, PROGRESS_EVERY};
use crate::{ContentLibrary, LibraryError};

/// One upload to a session file's endpoint, as the HTTP handler received it.
pub struct Upload<'a> {
    /// The token of the URL.
    pub token: &'a str,
    /// The file name of the URL.
    pub name: &'a str,
    /// The announced body length (`Content-Length`), if any.
    pub length: Option<u64>,
    /// The body.
    pub body: &'a mut (dyn AsyncRead + Send + Unpin),
}

/// Statuses a transfer may start from: a new file, a failed one (retry) or a ready
/// one (replaced). Not `TRANSFERRING`: of two concurrent uploads only one starts.
const STARTABLE: &[TransferStatus] = &[
    TransferStatus::WaitingForTransfer,
    TransferStatus::Error,
    TransferStatus::Ready,
];

impl ContentLibrary {
    /// Streams an upload into the blob store and makes the file `READY`. A wrong token
    /// or name is `NotFound` (saying nothing more); a session that is not active or has
    /// expired is `NotAllowed`; a concurrent upload of the same file is
    /// `ResourceBusy`; a body longer than the declared size is `TooLarge` (nothing
    /// stored); a checksum or size mismatch is `TransferFailed` (file `ERROR`); a body
    /// cut off is `Interrupted` (file waiting again). Memory stays bounded: the body
    /// is never held whole.
    pub async fn receive_upload(&self, upload: Upload<'_>) -> Result<SessionFile, LibraryError> {
        let not_found = || LibraryError::NotFound {
            what: "upload",
            id: String::new(),
        };
        let file = self
            .store()
            .session_file_by_upload_token(upload.token)
            .await?
            .filter(|f| f.name == upload.name)
            .ok_or_else(not_found)?;
        let session = self
            .store()
            .get_update_session(file.session_id)
            .await?
            .ok_or_else(not_found)?;
        if session.state != UpdateSessionState::Active || session.expiration_time < self.now() {
            let state = if session.state == UpdateSessionState::Active {
                "expired"
            } else {
                session.state.as_str()
            };
            return Err(LibraryError::NotAllowed(format!(
                "the update session of this upload is {state}: it takes no more data"
            )));
        }
        if let (Some(length), Some(declared)) = (upload.length, file.declared_size)
            && length > declared
        {
            return Err(LibraryError::TooLarge(format!(
                "the body has {length} bytes, more than the declared size of {} ({declared} bytes); nothing was stored",
                file.name
            )));
        }
        let start = FileTransfer {
            status: TransferStatus::Transferring,
            bytes_transferred: 0,
            stored: None,
            error_message: None,
        };
        if !self
            .store()
            .update_session_file(file.session_id, &file.name, STARTABLE, &start)
            .await?
        {
            return Err(LibraryError::ResourceBusy(format!(
                "{} is being uploaded by another request (or its session ended)",
                file.name
            )));
        }
        self.stream_into_store(&file, upload.body).await
    }

    /// Runs the blob put with progress reports, then records how it ended.
    async fn stream_into_store(
        &self,
        file: &SessionFile,
        body: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<SessionFile, LibraryError> {
        let declared = file
            .declared_checksum
            .as_ref()
            .map(Checksum::declared)
            .transpose()
            .map_err(|e| LibraryError::Invalid(e.to_string()))?;
        // A declared SHA-256 is checked by the store against the digest it computes
        // anyway; only another algorithm needs a hash of its own.
        let sha256 = declared.as_ref().and_then(Checksum::as_sha256);
        let checksum = declared.filter(|_| sha256.is_none());
        let mut reader = Verifying::new(body, checksum);
        let mut guard = InFlight {
            library: self.clone(),
            file: file.clone(),
            reporter: self.report_progress(file, reader.progress()),
            armed: true,
        };
        let expect = Expected {
            size: file.declared_size,
            sha256,
            max_size: Some(file.declared_size.unwrap_or(MAX_FILE_BYTES)),
        };
        let put = self.blobs().put(&mut reader, expect).await;
        guard.reporter.abort();
        let (transfer, outcome) = match put {
            Ok(blob) => (
                FileTransfer::ready(depot_model::StoredBlob {
                    digest: blob.digest,
                    size: blob.size,
                }),
                Ok(()),
            ),
            Err(e) => failed_transfer(&file.name, e),
        };
        let written = self
            .store()
            .update_session_file(
                file.session_id,
                &file.name,
                &[TransferStatus::Transferring],
                &transfer,
            )
            .await?;
        guard.armed = false;
        outcome?;
        if !written {
            return Err(LibraryError::NotAllowed(format!(
                "the update session of {} ended during the upload; nothing was kept",
                file.name
            )));
        }
        // A transfer keeps its session alive.
        self.store()
            .keep_alive_update_session(file.session_id, self.update_expiry(), None)
            .await?;
        let mut done = file.clone();
        done.transfer = transfer;
        Ok(done)
    }

    /// Records the byte count of an upload every [`PROGRESS_EVERY`] until aborted.
    fn report_progress(
        &self,
        file: &SessionFile,
        progress: Progress,
    ) -> tokio::task::JoinHandle<()> {
        let library = self.clone();
        let (session, name) = (file.session_id, file.name.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROGRESS_EVERY);
            tick.tick().await;
            let mut last = 0;
            loop {
                tick.tick().await;
                let bytes = progress.bytes();
                if bytes == last {
                    continue;
                }
                last = bytes;
                let now = FileTransfer {
                    status: TransferStatus::Transferring,
                    bytes_transferred: bytes,
                    stored: None,
                    error_message: None,
                };
                let store = library.store();
                if store
                    .update_session_file(session, &name, &[TransferStatus::Transferring], &now)
                    .await
                    .is_err()
                {
                    return;
                }
                // Bytes arriving keep the session alive.
                let _ = store
                    .keep_alive_update_session(session, library.update_expiry(), None)
                    .await;
            }
        })
    }
}

/// An upload under way. Dropped before its outcome is recorded (the request was
/// dropped: the connection closed or timed out), it stops the progress reports and
/// puts the file back to waiting, so a retry can start.
struct InFlight {
    library: ContentLibrary,
    file: SessionFile,
    reporter: tokio::task::JoinHandle<()>,
    armed: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.reporter.abort();
        if !self.armed {
            return;
        }
        let library = self.library.clone();
        let file = self.file.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = library
                    .store()
                    .update_session_file(
                        file.session_id,
                        &file.name,
                        &[TransferStatus::Transferring],
                        &FileTransfer::waiting(),
                    )
                    .await;
            });
        }
    }
}

/// The file's state after a failed put, and the error to answer.
fn failed_transfer(name: &str, e: BlobError) -> (FileTransfer, Result<(), LibraryError>) {
    let error = |text: String| {
        let t = FileTransfer {
            status: TransferStatus::Error,
            bytes_transferred: 0,
            stored: None,
            error_message: Some(Message::new(
                "com.vmware.depotd.content.transfer_failed",
                text.clone(),
            )),
        };
        (t, text)
    };
    match e {
        BlobError::TooLarge { limit } => {
            let (t, text) = error(format!(
                "{name}: more bytes arrived than its declared size of {limit}; nothing was stored"
            ));
            (t, Err(LibraryError::TooLarge(text)))
        }
        BlobError::SizeMismatch { expected, actual } => {
            let (t, text) = error(format!(
                "{name}: {actual} bytes arrived, the declared size is {expected}; nothing was stored"
            ));
            (t, Err(LibraryError::TransferFailed(text)))
        }
        BlobError::ChecksumMismatch(m) => {
            let (t, text) = error(format!("{name}: {m}; nothing was stored"));
            (t, Err(LibraryError::TransferFailed(text)))
        }
        // A declared SHA-256, checked by the store: said as any other checksum.
        BlobError::DigestMismatch { expected, actual } => {
            let m = ChecksumMismatch {
                expected: Checksum::from(expected),
                actual: Checksum::from(actual),
            };
            let (t, text) = error(format!("{name}: {m}; nothing was stored"));
            (t, Err(LibraryError::TransferFailed(text)))
        }
        BlobError::Source { source } => (
            FileTransfer::waiting(),
            Err(LibraryError::Interrupted(format!(
                "{name}: the upload was cut off ({source}); nothing was stored, send the file again"
            ))),
        ),
        other => {
            let (t, _) = error(format!("{name}: the content could not be stored"));
            (t, Err(LibraryError::Blob(other)))
        }
    }
}
