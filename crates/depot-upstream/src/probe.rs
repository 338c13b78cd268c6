//! [`DepotClient::test_connection`]: the depot settings check, as a status and a message.

use std::fmt;
use std::time::Instant;

use crate::classify::{Failure, classify};
use crate::client::DepotClient;
use crate::error::{Unavailable, UpstreamError};

/// The outcome of a depot connection check, as the depot settings report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionCode {
    /// `DEPOT_CONNECTION_SUCCESSFUL`
    Successful,
    /// `DEPOT_INVALID_CREDENTIAL`
    InvalidCredential,
    /// `DEPOT_UNKNOWN_HOST`
    UnknownHost,
    /// `DEPOT_NOT_AVAILABLE`
    NotAvailable,
    /// `DEPOT_UNTRUSTED_CERTIFICATE`
    UntrustedCertificate,
}

impl ConnectionCode {
    /// The status string (`DEPOT_…`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Successful => "DEPOT_CONNECTION_SUCCESSFUL",
            Self::InvalidCredential => "DEPOT_INVALID_CREDENTIAL",
            Self::UnknownHost => "DEPOT_UNKNOWN_HOST",
            Self::NotAvailable => "DEPOT_NOT_AVAILABLE",
            Self::UntrustedCertificate => "DEPOT_UNTRUSTED_CERTIFICATE",
        }
    }
}

impl fmt::Display for ConnectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A depot status with a message saying what to fix (never containing secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStatus {
    /// The status.
    pub code: ConnectionCode,
    /// A human-readable explanation.
    pub message: String,
}

impl ConnectionStatus {
    /// The status for a failed depot operation (e.g. a failed sync), so that the depot
    /// settings can show it.
    pub fn from_error(err: &UpstreamError) -> Self {
        let code = match err {
            UpstreamError::InvalidCredential { .. } | UpstreamError::BadToken { .. } => {
                ConnectionCode::InvalidCredential
            }
            UpstreamError::UnknownHost { .. } => ConnectionCode::UnknownHost,
            UpstreamError::UntrustedCertificate { .. } | UpstreamError::BadCertificate { .. } => {
                ConnectionCode::UntrustedCertificate
            }
            _ => ConnectionCode::NotAvailable,
        };
        Self {
            code,
            message: err.to_string(),
        }
    }
}

impl DepotClient {
    /// Checks the settings by fetching the first byte of the probe path once (no retry;
    /// the body is not read).
    ///
    /// Any 2xx answer is success; 401/403 mean bad credentials; a 404 or other status means
    /// the depot is not usable at this URL.
    #[tracing::instrument(name = "depot_test_connection", skip_all, fields(host = %self.locator.host()))]
    pub async fn test_connection(&self) -> ConnectionStatus {
        let target = self.locator.target(&self.probe_path);
        let started = Instant::now();
        let url = || target.shown.clone();
        // One byte is enough to prove access; servers without range support send the
        // whole file, of which only the headers are read.
        let probe = self
            .get(target.url.clone())
            .header(reqwest::header::RANGE, "bytes=0-0");
        let err = match probe.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                drop(response);
                match status {
                    200..=299 => {
                        return Self::status(
                            ConnectionCode::Successful,
                            "Depot connection successful",
                        );
                    }
                    401 | 403 => UpstreamError::InvalidCredential { url: url(), status },
                    404 | 410 => {
                        return Self::status(
                            ConnectionCode::NotAvailable,
                            format!(
                                "the depot has no {} (HTTP {status}): check the depot URL",
                                target.shown
                            ),
                        );
                    }
                    _ => UpstreamError::NotAvailable {
                        url: url(),
                        cause: Unavailable::Status(status),
                        attempts: 1,
                        source: None,
                    },
                }
            }
            Err(err) => match classify(&err, &self.timeouts, started.elapsed()) {
                Failure::UnknownHost(host) => UpstreamError::UnknownHost { host },
                Failure::Untrusted(reason) => UpstreamError::UntrustedCertificate {
                    host: self.locator.host(),
                    reason,
                },
                Failure::Retryable(cause) => UpstreamError::NotAvailable {
                    url: url(),
                    cause,
                    attempts: 1,
                    source: Some(err.without_url()),
                },
            },
        };
        tracing::info!(code = err.code(), error = %err, "depot connection check failed");
        ConnectionStatus::from_error(&err)
    }

    fn status(code: ConnectionCode, message: impl Into<String>) -> ConnectionStatus {
        ConnectionStatus {
            code,
            message: message.into(),
        }
    }
}
