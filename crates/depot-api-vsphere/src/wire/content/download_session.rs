//! `com.vmware.content.library.item.download_session_model`.

use depot_model::{DownloadSession, DownloadSessionState};

use crate::vapi::typed::DateTime;
use crate::wire::message::LocalizableMessage;

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.download_session_model.state")]
    /// Where a download session is.
    pub enum State {
        /// Open.
        Active = "ACTIVE",
        /// Canceled.
        Canceled = "CANCELED",
        /// Failed.
        Error = "ERROR",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.download_session_model")]
    /// A download session, as read and as created.
    #[derive(Default)]
    pub struct DownloadSessionModel {
        /// Its id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The item (required on create).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub library_item_id: Option<String>,
        /// The item's content version when the session opened.
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
    }
}

impl From<&DownloadSession> for DownloadSessionModel {
    fn from(s: &DownloadSession) -> Self {
        Self {
            id: Some(s.id.to_string()),
            library_item_id: Some(s.item_id.to_string()),
            library_item_content_version: Some(s.content_version.to_string()),
            error_message: s.error_message.as_ref().map(LocalizableMessage::from),
            client_progress: Some(i64::from(s.client_progress)),
            state: Some(match s.state {
                DownloadSessionState::Active => State::Active,
                DownloadSessionState::Canceled => State::Canceled,
                DownloadSessionState::Error => State::Error,
            }),
            expiration_time: Some(DateTime(s.expiration_time)),
        }
    }
}
