//! Probing a subscription without creating anything: the status vSphere reports, and
//! the certificate an HTTPS publisher presents, so that a user can accept it by
//! creating the library with its thumbprint.

use depot_upstream::{ConnectionCode, ThumbprintAlgorithm};

use super::settings::SubscriptionSpec;
use crate::ContentLibrary;

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStatus {
    /// The publisher serves a VCSP library there with these settings.
    Success,
    /// The URL is not usable.
    InvalidUrl,
    /// The host name does not resolve.
    HostNotFound,
    /// Nothing at that URL is a VCSP library.
    ResourceNotFound,
    /// The credentials were refused.
    InvalidCredentials,
    /// The certificate is not the pinned or trusted one.
    CertificateError,
    /// Anything else (unreachable, timed out, unusable answers).
    UnknownError,
}

/// A probe's status and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// What was found.
    pub status: ProbeStatus,
    /// Why, when not a success.
    pub message: Option<String>,
    /// The SHA-1 thumbprint of the certificate an HTTPS publisher presented.
    pub ssl_thumbprint: Option<String>,
    /// That certificate, PEM.
    pub ssl_certificate: Option<String>,
}

impl ContentLibrary {
    /// Probes a subscription without creating anything. An HTTPS publisher's
    /// certificate is reported whatever the status; an untrusted one (not the pinned
    /// one, or not trusted and none pinned) is `CertificateError`.
    pub async fn probe(&self, spec: SubscriptionSpec) -> ProbeResult {
        let settings = match self.subscription_settings(None, spec) {
            Ok(s) => s,
            Err(e) => return probe_result(ProbeStatus::InvalidUrl, &e),
        };
        let publisher = match self.publisher(&settings) {
            Ok(p) => p,
            Err(e) => return probe_result(ProbeStatus::InvalidUrl, &e),
        };
        let status = publisher.client().test_connection().await;
        let code = match status.code {
            ConnectionCode::Successful => None,
            ConnectionCode::InvalidCredential => Some(ProbeStatus::InvalidCredentials),
            ConnectionCode::UnknownHost => Some(ProbeStatus::HostNotFound),
            ConnectionCode::UntrustedCertificate => Some(ProbeStatus::CertificateError),
            ConnectionCode::NotAvailable => Some(ProbeStatus::ResourceNotFound),
        };
        let mut result = match code {
            Some(code) => probe_result(code, &status.message),
            None => match publisher.library().await {
                Ok(_) => ProbeResult {
                    status: ProbeStatus::Success,
                    message: None,
                    ssl_thumbprint: None,
                    ssl_certificate: None,
                },
                Err(e) => probe_result(ProbeStatus::ResourceNotFound, &e),
            },
        };
        if !matches!(result.status, ProbeStatus::HostNotFound)
            && let Ok(Some(cert)) = publisher.client().peer_certificate().await
        {
            result.ssl_thumbprint = Some(cert.thumbprint(ThumbprintAlgorithm::Sha1).to_string());
            result.ssl_certificate = Some(cert.pem());
        }
        result
    }
}

fn probe_result(status: ProbeStatus, why: &dyn std::fmt::Display) -> ProbeResult {
    ProbeResult {
        status,
        message: Some(why.to_string()),
        ssl_thumbprint: None,
        ssl_certificate: None,
    }
}
