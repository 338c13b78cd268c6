//! `PULL` files: depotd fetches the source URL itself, in a task of the task engine
//! (so the transfer survives a restart — an interrupted pull runs again — and shows in
//! the task list), checking the pinned certificate thumbprint when one is given.

use async_trait::async_trait;
use depot_blobs::Verifying;
use depot_model::{
    ErrorKind, FileTransfer, Message, SessionFile, StoredBlob, TransferStatus, UpdateSessionId,
};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use depot_upstream::{DepotClient, DepotPath, DepotSettings, FetchOutcome, FetchRequest};

use super::MAX_FILE_BYTES;
use crate::{ContentLibrary, LibraryError};

/// The job's stable name.
pub const PULL_JOB_KIND: &str = "library_pull";

/// What a pull task fetches: a session and a file name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    /// The update session.
    pub session_id: String,
    /// The file.
    pub name: String,
}

impl PullRequest {
    /// The task that pulls `file`, created by `user`.
    pub fn task(file: &SessionFile, user: &str) -> NewTask {
        let mut t = NewTask::new(
            PULL_JOB_KIND,
            Message::new(
                "com.vmware.depotd.content.pull",
                format!(
                    "Fetch {} into update session {}",
                    file.name, file.session_id
                ),
            ),
            user,
        );
        "library".clone_into(&mut t.task_type);
        t.payload = serde_json::json!(Self {
            session_id: file.session_id.to_string(),
            name: file.name.clone(),
        });
        t.concurrency_key = Some(format!("library-pull:{}:{}", file.session_id, file.name));
        t
    }
}

/// The job that runs pull tasks.
pub struct PullJob {
    library: ContentLibrary,
}

impl PullJob {
    /// The job over `library`.
    pub fn new(library: ContentLibrary) -> Self {
        Self { library }
    }
}

#[async_trait]
impl Job for PullJob {
    fn name(&self) -> &'static str {
        PULL_JOB_KIND
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: PullRequest = ctx.payload()?;
        match self.library.pull(&request).await {
            Ok(file) => Ok(Some(serde_json::json!({
                "name": file.name,
                "size": file.transfer.bytes_transferred,
            }))),
            Err(e) => Err(JobError::permanent(
                ErrorKind::Invalid,
                "PULL_FAILED",
                Message::new("com.vmware.depotd.content.pull_failed", e.to_string()),
            )),
        }
    }
}

impl ContentLibrary {
    /// Fetches a `PULL` file's source into the blob store and records the outcome on
    /// the file (`READY`, or `ERROR` with why).
    pub async fn pull(&self, request: &PullRequest) -> Result<SessionFile, LibraryError> {
        let id: UpdateSessionId = request
            .session_id
            .parse()
            .map_err(|_| super::update::not_found(&request.session_id))?;
        let file = self
            .store()
            .session_file(id, &request.name)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "update session file",
                id: request.name.clone(),
            })?;
        let start = FileTransfer {
            status: TransferStatus::Transferring,
            bytes_transferred: 0,
            stored: None,
            error_message: None,
        };
        // Interrupted pulls (TRANSFERRING after a restart) run again.
        let from = [
            TransferStatus::WaitingForTransfer,
            TransferStatus::Transferring,
            TransferStatus::Error,
        ];
        if !self
            .store()
            .update_session_file(id, &file.name, &from, &start)
            .await?
        {
            return Err(LibraryError::NotAllowed(format!(
                "{} is not waiting for a transfer (or its session ended)",
                file.name
            )));
        }
        let (transfer, outcome) = match self.fetch(&file).await {
            Ok(blob) => (FileTransfer::ready(blob), Ok(())),
            Err(e) => (
                FileTransfer {
                    status: TransferStatus::Error,
                    bytes_transferred: 0,
                    stored: None,
                    error_message: Some(Message::new(
                        "com.vmware.depotd.content.pull_failed",
                        e.to_string(),
                    )),
                },
                Err(e),
            ),
        };
        self.store()
            .update_session_file(id, &file.name, &[TransferStatus::Transferring], &transfer)
            .await?;
        outcome?;
        self.store()
            .keep_alive_update_session(id, self.update_expiry(), None)
            .await?;
        let mut done = file;
        done.transfer = transfer;
        Ok(done)
    }

    /// Downloads the file's source and checks its declared size and checksum.
    async fn fetch(&self, file: &SessionFile) -> Result<StoredBlob, LibraryError> {
        let endpoint = file.pull_endpoint.as_ref().ok_or_else(|| {
            LibraryError::Invalid(format!("{} has no source endpoint", file.name))
        })?;
        let (base, path) = split_url(&endpoint.uri)?;
        let mut settings = DepotSettings::new(base);
        // A client waits on the file's status: retry briefly, then say why.
        settings.retry.max_retries = 2;
        settings.retry.initial_backoff = std::time::Duration::from_millis(500);
        if let Some(pin) = &endpoint.ssl_thumbprint {
            settings.pinned_thumbprint = Some(pin.parse().map_err(|e| {
                LibraryError::Invalid(format!("ssl_certificate_thumbprint {pin:?}: {e}"))
            })?);
        }
        if let Some(pem) = &endpoint.ssl_certificate {
            settings.trusted_certificates = vec![pem.clone()];
        }
        let failed = |e: &dyn std::fmt::Display| {
            LibraryError::TransferFailed(format!(
                "{}: fetching {} failed: {e}",
                file.name, endpoint.uri
            ))
        };
        let client = DepotClient::new(&settings).map_err(|e| failed(&e))?;
        let path = DepotPath::parse(path).map_err(|e| failed(&e))?;
        let request = FetchRequest {
            max_size: Some(file.declared_size.unwrap_or(MAX_FILE_BYTES)),
            ..FetchRequest::default()
        };
        let fetched = match client
            .fetch(self.blobs().as_ref(), &path, &request)
            .await
            .map_err(|e| failed(&e))?
        {
            FetchOutcome::Fetched(f) => f.blob,
            FetchOutcome::NotModified(_) => {
                return Err(failed(&"the server answered 304 to an unconditional GET"));
            }
        };
        if let Some(size) = file.declared_size
            && size != fetched.size
        {
            return Err(LibraryError::TransferFailed(format!(
                "{}: {} bytes arrived, the declared size is {size}",
                file.name, fetched.size
            )));
        }
        if let Some(declared) = &file.declared_checksum {
            let checksum = depot_blobs::Checksum::declared(declared)
                .map_err(|e| LibraryError::Invalid(e.to_string()))?;
            let (reader, _) = self.blobs().open(&fetched.digest).await?;
            let mut verifying = Verifying::new(reader, Some(checksum));
            tokio::io::copy(&mut verifying, &mut tokio::io::sink())
                .await
                .map_err(|e| LibraryError::TransferFailed(format!("{}: {e}", file.name)))?;
        }
        Ok(StoredBlob {
            digest: fetched.digest,
            size: fetched.size,
        })
    }
}

/// Refuses a source endpoint depotd cannot fetch: not an http(s) URL of a file, or a
/// thumbprint that is not one.
pub(crate) fn check_endpoint(endpoint: &depot_model::TransferEndpoint) -> Result<(), LibraryError> {
    split_url(&endpoint.uri)?;
    if let Some(pin) = &endpoint.ssl_thumbprint {
        pin.parse::<depot_upstream::Thumbprint>().map_err(|e| {
            LibraryError::Invalid(format!("ssl_certificate_thumbprint {pin:?}: {e}"))
        })?;
    }
    Ok(())
}

/// `https://host/dir/file` → (`https://host/dir`, `file`).
fn split_url(uri: &str) -> Result<(&str, &str), LibraryError> {
    let bad = || {
        LibraryError::Invalid(format!(
            "source_endpoint.uri {uri:?} is not an http(s) URL of a file"
        ))
    };
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let slash = rest.find('/').ok_or_else(bad)?;
    let at = uri.len() - rest.len() + slash;
    let (base, path) = uri.split_at(at);
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.contains(['?', '#']) {
        return Err(bad());
    }
    let last = base.len() + 1 + path.rfind('/').map_or(0, |i| i + 1);
    let (base, file) = (&uri[..last - 1], &uri[last..]);
    if file.is_empty() {
        return Err(bad());
    }
    Ok((base, file))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_base_and_file() {
        assert_eq!(
            split_url("https://m.example.com/a/b/esx.iso").unwrap(),
            ("https://m.example.com/a/b", "esx.iso")
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080/x.bin").unwrap(),
            ("http://127.0.0.1:8080", "x.bin")
        );
        for bad in [
            "ftp://h/x",
            "https://h",
            "https://h/",
            "https://h/dir/",
            "https://h/x?y=1",
        ] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }
}
