//! How the job's failures read: the `JobError`s of each kind of fault.

use super::{CatalogError, ConnectionStatus, ErrorKind, JobError, Message, UpstreamError};

/// The status a failed request gives the depot settings, for failures that say something
/// about the connection (not a missing file or bad content).
pub(super) fn connection_status(e: &UpstreamError) -> Option<ConnectionStatus> {
    let status = ConnectionStatus::from_error(e);
    match e {
        UpstreamError::FileNotFound { .. }
        | UpstreamError::TooLarge { .. }
        | UpstreamError::DigestMismatch { .. }
        | UpstreamError::Store { .. } => None,
        _ => Some(status),
    }
}

/// A failed connection check as a task failure.
pub(super) fn connection_failure(status: &ConnectionStatus) -> JobError {
    failure(
        ErrorKind::Unavailable,
        status.code.as_str(),
        &format!(
            "com.vmware.depotd.depot.{}",
            status.code.as_str().to_ascii_lowercase()
        ),
        status.message.clone(),
        "Check the depot settings (URL, credentials, trusted certificates) and that the depot is reachable, then retry",
    )
}

/// An upstream error as a task failure.
pub(super) fn upstream_failure(e: &UpstreamError) -> JobError {
    failure(
        e.kind(),
        e.code(),
        &format!("com.vmware.depotd.depot.{}", e.code().to_ascii_lowercase()),
        e.to_string(),
        e.remediation(),
    )
}

/// A catalog error as a task failure.
pub(super) fn catalog_failure(e: &CatalogError) -> JobError {
    failure(
        e.kind(),
        e.code(),
        &format!("com.vmware.depotd.pvc.{}", e.code().to_ascii_lowercase()),
        format!("The depot's product version catalog was refused: {e}"),
        "Have the depot publish a correctly signed catalog with a higher sequence number than the current one, then retry",
    )
}

/// A sync failure: every one is retriable — once the depot or the settings are fixed,
/// `retry` resumes from the failed stage.
pub(super) fn failure(
    kind: ErrorKind,
    code: &str,
    id: &str,
    message: String,
    resolution: &str,
) -> JobError {
    JobError::retriable(kind, code, Message::new(id, message))
        .with_resolution(Message::new(format!("{id}.resolution"), resolution))
}

pub(super) fn unavailable(detail: &str) -> JobError {
    failure(
        ErrorKind::Unavailable,
        "DEPOT_METADATA_STORE_UNAVAILABLE",
        "com.vmware.depotd.depot.store.unavailable",
        format!("The synced metadata could not be stored: {detail}"),
        "Check the database and the blob store, then retry",
    )
}

pub(super) fn internal(detail: &str) -> JobError {
    failure(
        ErrorKind::Internal,
        "INTERNAL_SERVER_ERROR",
        "com.vmware.depotd.depot.internal",
        detail.to_owned(),
        "Retry; report the problem if it persists",
    )
}
