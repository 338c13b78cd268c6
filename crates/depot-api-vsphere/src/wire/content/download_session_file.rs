//! `com.vmware.content.library.item.downloadsession.file` types.

use depot_model::{DownloadFile, DownloadFileStatus};

use super::update_session_file::{
    Algorithm, ChecksumInfo, TransferEndpoint, percent_encode, wire_size,
};
use crate::wire::message::LocalizableMessage;

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.downloadsession.file.prepare_status")]
    /// Where a download file is.
    pub enum PrepareStatus {
        /// Not asked for.
        Unprepared = "UNPREPARED",
        /// Asked for.
        PrepareRequested = "PREPARE_REQUESTED",
        /// Being prepared.
        Preparing = "PREPARING",
        /// Ready at its endpoint.
        Prepared = "PREPARED",
        /// Failed.
        Error = "ERROR",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.downloadsession.file.endpoint_type")]
    /// The kind of endpoint asked for.
    pub enum EndpointType {
        /// An HTTPS URL.
        Https = "HTTPS",
        /// A direct (datastore) URL.
        Direct = "DIRECT",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.downloadsession.file.info")]
    /// A file of a download session.
    pub struct Info {
        /// Its name.
        pub name: String,
        /// Its size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub size: Option<i64>,
        /// Bytes sent (depotd does not count them: 0).
        pub bytes_transferred: i64,
        /// Where it is.
        pub status: PrepareStatus,
        /// Where to GET it, once prepared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub download_endpoint: Option<TransferEndpoint>,
        /// Its SHA-256, once prepared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub checksum_info: Option<ChecksumInfo>,
        /// Why preparing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error_message: Option<LocalizableMessage>,
    }
}

impl Info {
    /// A download file's info; `base_url` makes the download endpoint absolute.
    pub fn from_file(f: &DownloadFile, base_url: &str) -> Self {
        let prepared = f.status == DownloadFileStatus::Prepared;
        Self {
            name: f.name.clone(),
            size: Some(wire_size(f.size)),
            bytes_transferred: 0,
            status: match f.status {
                DownloadFileStatus::Unprepared => PrepareStatus::Unprepared,
                DownloadFileStatus::PrepareRequested => PrepareStatus::PrepareRequested,
                DownloadFileStatus::Preparing => PrepareStatus::Preparing,
                DownloadFileStatus::Prepared => PrepareStatus::Prepared,
                DownloadFileStatus::Error => PrepareStatus::Error,
            },
            download_endpoint: prepared.then(|| TransferEndpoint {
                uri: format!(
                    "{}/cls/download/{}/{}",
                    base_url.trim_end_matches('/'),
                    f.download_token,
                    percent_encode(&f.name)
                ),
                ssl_certificate_thumbprint: None,
                ssl_certificate: None,
            }),
            checksum_info: f.digest.filter(|_| prepared).map(|d| ChecksumInfo {
                algorithm: Some(Algorithm::Sha256),
                checksum: d.to_string(),
            }),
            error_message: f.error_message.as_ref().map(LocalizableMessage::from),
        }
    }
}
