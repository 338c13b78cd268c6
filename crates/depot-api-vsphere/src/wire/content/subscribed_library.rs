//! `com.vmware.content.subscribed_library.probe_result`.

use crate::wire::message::LocalizableMessage;

crate::vapi_enum! {
    #[vapi("com.vmware.content.subscribed_library.probe_result.status")]
    /// What a probe found.
    pub enum ProbeStatus {
        /// A VCSP library is there and usable with these settings.
        Success = "SUCCESS",
        /// The URL is not usable.
        InvalidUrl = "INVALID_URL",
        /// The publisher did not answer in time.
        TimedOut = "TIMED_OUT",
        /// The host name does not resolve.
        HostNotFound = "HOST_NOT_FOUND",
        /// No VCSP library at that URL.
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        /// The credentials were refused.
        InvalidCredentials = "INVALID_CREDENTIALS",
        /// The certificate is not the expected one.
        CertificateError = "CERTIFICATE_ERROR",
        /// Anything else.
        UnknownError = "UNKNOWN_ERROR",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.subscribed_library.probe_result")]
    /// The outcome of a probe.
    pub struct ProbeResult {
        /// What was found.
        pub status: ProbeStatus,
        /// The SHA-1 thumbprint of the certificate an HTTPS publisher presented.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_thumbprint: Option<String>,
        /// That certificate, PEM.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_certificate: Option<String>,
        /// Why, when not a success.
        pub error_messages: Vec<LocalizableMessage>,
    }
}

impl From<depot_library::ProbeResult> for ProbeResult {
    fn from(r: depot_library::ProbeResult) -> Self {
        use depot_library::ProbeStatus as S;
        let status = match r.status {
            S::Success => ProbeStatus::Success,
            S::InvalidUrl => ProbeStatus::InvalidUrl,
            S::HostNotFound => ProbeStatus::HostNotFound,
            S::ResourceNotFound => ProbeStatus::ResourceNotFound,
            S::InvalidCredentials => ProbeStatus::InvalidCredentials,
            S::CertificateError => ProbeStatus::CertificateError,
            S::UnknownError => ProbeStatus::UnknownError,
        };
        Self {
            status,
            ssl_thumbprint: r.ssl_thumbprint,
            ssl_certificate: r.ssl_certificate,
            error_messages: r
                .message
                .iter()
                .map(|m| {
                    LocalizableMessage::from(&depot_model::Message::new(
                        "com.vmware.depotd.content.probe",
                        m.clone(),
                    ))
                })
                .collect(),
        }
    }
}
