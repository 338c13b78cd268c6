//! `com.vmware.content.library.item.update_session_model` and its parts.

use depot_model::{UpdateSession, UpdateSessionState};

use crate::vapi::typed::DateTime;
use crate::wire::message::LocalizableMessage;

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.update_session_model.state")]
    /// Where an update session is.
    pub enum State {
        /// Open.
        Active = "ACTIVE",
        /// Completed.
        Done = "DONE",
        /// Failed.
        Error = "ERROR",
        /// Canceled.
        Canceled = "CANCELED",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.updatesession.warning_type")]
    /// A kind of preview warning.
    pub enum WarningType {
        /// Self-signed certificate.
        SelfSignedCertificate = "SELF_SIGNED_CERTIFICATE",
        /// Expired certificate.
        ExpiredCertificate = "EXPIRED_CERTIFICATE",
        /// Certificate not yet valid.
        NotYetValidCertificate = "NOT_YET_VALID_CERTIFICATE",
        /// Untrusted certificate.
        UntrustedCertificate = "UNTRUSTED_CERTIFICATE",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.warning_behavior")]
    /// Whether a kind of warning is ignored.
    pub struct WarningBehavior {
        /// The warning.
        pub r#type: WarningType,
        /// Ignored or not.
        pub ignored: bool,
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.updatesession.preview_info.state")]
    /// Whether a preview exists.
    pub enum PreviewState {
        /// None yet.
        Unavailable = "UNAVAILABLE",
        /// Not for this content.
        NotApplicable = "NOT_APPLICABLE",
        /// Being made.
        Preparing = "PREPARING",
        /// There.
        Available = "AVAILABLE",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.preview_info")]
    /// The preview of the content (depotd makes none).
    pub struct PreviewInfo {
        /// Its state.
        pub state: PreviewState,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.update_session_model")]
    /// An update session, as read and as created.
    #[derive(Default)]
    pub struct UpdateSessionModel {
        /// Its id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The item it updates (required on create).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub library_item_id: Option<String>,
        /// The item's content version the client expects.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub library_item_content_version: Option<String>,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error_message: Option<LocalizableMessage>,
        /// The client's progress, 0–100.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_progress: Option<i64>,
        /// Its state.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub state: Option<State>,
        /// When it expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiration_time: Option<DateTime>,
        /// The preview.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub preview_info: Option<PreviewInfo>,
        /// Which warnings are ignored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub warning_behavior: Option<Vec<WarningBehavior>>,
    }
}

impl From<&UpdateSession> for UpdateSessionModel {
    fn from(s: &UpdateSession) -> Self {
        Self {
            id: Some(s.id.to_string()),
            library_item_id: Some(s.item_id.to_string()),
            library_item_content_version: s.expected_content_version.map(|v| v.to_string()),
            error_message: s.error_message.as_ref().map(LocalizableMessage::from),
            client_progress: Some(i64::from(s.client_progress)),
            state: Some(match s.state {
                UpdateSessionState::Active => State::Active,
                UpdateSessionState::Done => State::Done,
                UpdateSessionState::Error => State::Error,
                UpdateSessionState::Canceled => State::Canceled,
            }),
            expiration_time: Some(DateTime(s.expiration_time)),
            // A union member the bindings accept only with a preview: depotd has none.
            preview_info: None,
            warning_behavior: Some(Vec::new()),
        }
    }
}
