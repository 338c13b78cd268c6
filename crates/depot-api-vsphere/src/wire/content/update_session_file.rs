//! `com.vmware.content.library.item.updatesession.file` types, and the transfer
//! endpoint and checksum shared with download sessions.

use depot_model::{Checksum, ChecksumAlgorithm, SessionFile, SourceType, TransferStatus};

use crate::wire::message::LocalizableMessage;

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.transfer_endpoint")]
    /// Where bytes go or come from.
    pub struct TransferEndpoint {
        /// The URI.
        pub uri: String,
        /// The expected certificate thumbprint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_certificate_thumbprint: Option<String>,
        /// The expected certificate, PEM.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_certificate: Option<String>,
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.file.checksum_algorithm")]
    /// A checksum algorithm.
    pub enum Algorithm {
        /// SHA-1.
        Sha1 = "SHA1",
        /// MD5.
        Md5 = "MD5",
        /// SHA-256.
        Sha256 = "SHA256",
        /// SHA-512.
        Sha512 = "SHA512",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.file.checksum_info")]
    /// A checksum (SHA-1 when no algorithm is given, as in vSphere).
    pub struct ChecksumInfo {
        /// The algorithm.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub algorithm: Option<Algorithm>,
        /// The value, hex.
        pub checksum: String,
    }
}

impl From<&ChecksumInfo> for Checksum {
    fn from(c: &ChecksumInfo) -> Self {
        Checksum {
            algorithm: match c.algorithm.unwrap_or(Algorithm::Sha1) {
                Algorithm::Sha1 => ChecksumAlgorithm::Sha1,
                Algorithm::Md5 => ChecksumAlgorithm::Md5,
                Algorithm::Sha256 => ChecksumAlgorithm::Sha256,
                Algorithm::Sha512 => ChecksumAlgorithm::Sha512,
            },
            value: c.checksum.clone(),
        }
    }
}

impl From<&Checksum> for ChecksumInfo {
    fn from(c: &Checksum) -> Self {
        ChecksumInfo {
            algorithm: Some(match c.algorithm {
                ChecksumAlgorithm::Sha1 => Algorithm::Sha1,
                ChecksumAlgorithm::Md5 => Algorithm::Md5,
                ChecksumAlgorithm::Sha256 => Algorithm::Sha256,
                ChecksumAlgorithm::Sha512 => Algorithm::Sha512,
            }),
            checksum: c.value.clone(),
        }
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.updatesession.file.source_type")]
    /// How a file's content arrives.
    pub enum Source {
        /// No transfer.
        None = "NONE",
        /// The client sends it.
        Push = "PUSH",
        /// The server fetches it.
        Pull = "PULL",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.item.transfer_status")]
    /// Where a file's transfer is.
    pub enum Status {
        /// Nothing yet.
        WaitingForTransfer = "WAITING_FOR_TRANSFER",
        /// Bytes arriving.
        Transferring = "TRANSFERRING",
        /// Stored.
        Ready = "READY",
        /// Being checked.
        Validating = "VALIDATING",
        /// Failed.
        Error = "ERROR",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.file.add_spec")]
    /// A file to add.
    pub struct AddSpec {
        /// Its name.
        pub name: String,
        /// How its content arrives.
        pub source_type: Source,
        /// Where to pull it from.
        pub source_endpoint: Option<TransferEndpoint>,
        /// Its size.
        pub size: Option<i64>,
        /// Its checksum.
        pub checksum_info: Option<ChecksumInfo>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.file.info")]
    /// A session file.
    pub struct Info {
        /// Its name.
        pub name: String,
        /// How its content arrives.
        pub source_type: Source,
        /// The declared size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub size: Option<i64>,
        /// The declared checksum.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub checksum_info: Option<ChecksumInfo>,
        /// Where it is pulled from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_endpoint: Option<TransferEndpoint>,
        /// Where the client sends it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub upload_endpoint: Option<TransferEndpoint>,
        /// Bytes received.
        pub bytes_transferred: i64,
        /// Transfer status.
        pub status: Status,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error_message: Option<LocalizableMessage>,
        /// Whether the content is kept (always).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub keep_in_storage: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.file.validation_error")]
    /// Why a file is not usable.
    pub struct ValidationError {
        /// The file.
        pub name: String,
        /// Why.
        pub error_message: LocalizableMessage,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.item.updatesession.file.validation_result")]
    /// What validating found.
    pub struct ValidationResult {
        /// Anything missing or invalid.
        pub has_errors: bool,
        /// Files named (by an OVF descriptor) but absent.
        pub missing_files: Vec<String>,
        /// Files not usable.
        pub invalid_files: Vec<ValidationError>,
    }
}

/// A size as the wire's integer.
pub(crate) fn wire_size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Info {
    /// A session file's info; `base_url` makes the upload endpoint absolute.
    pub fn from_file(f: &SessionFile, base_url: &str) -> Self {
        let push = f.source_type == SourceType::Push;
        Self {
            name: f.name.clone(),
            source_type: match f.source_type {
                SourceType::None => Source::None,
                SourceType::Push => Source::Push,
                SourceType::Pull => Source::Pull,
            },
            size: f.declared_size.map(wire_size),
            checksum_info: f.declared_checksum.as_ref().map(ChecksumInfo::from),
            source_endpoint: f.pull_endpoint.as_ref().map(|e| TransferEndpoint {
                uri: e.uri.clone(),
                ssl_certificate_thumbprint: e.ssl_thumbprint.clone(),
                ssl_certificate: e.ssl_certificate.clone(),
            }),
            upload_endpoint: push.then(|| TransferEndpoint {
                uri: format!(
                    "{}/cls/data/{}/{}",
                    base_url.trim_end_matches('/'),
                    f.upload_token,
                    percent_encode(&f.name)
                ),
                ssl_certificate_thumbprint: None,
                ssl_certificate: None,
            }),
            bytes_transferred: wire_size(f.transfer.bytes_transferred),
            status: match f.transfer.status {
                TransferStatus::WaitingForTransfer => Status::WaitingForTransfer,
                TransferStatus::Transferring => Status::Transferring,
                TransferStatus::Ready => Status::Ready,
                TransferStatus::Validating => Status::Validating,
                TransferStatus::Error => Status::Error,
            },
            error_message: f
                .transfer
                .error_message
                .as_ref()
                .map(LocalizableMessage::from),
            keep_in_storage: Some(true),
        }
    }
}

/// A byte as two upper-case hex digits.
fn hex_byte(b: u8) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]
        .iter()
        .map(|d| char::from(*d))
        .collect()
}

/// A file name as one URL path segment: everything but unreserved characters is
/// percent-encoded.
pub fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&hex_byte(b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn names_become_one_path_segment() {
        assert_eq!(percent_encode("disk-1.vmdk"), "disk-1.vmdk");
        assert_eq!(percent_encode("a b/c%"), "a%20b%2Fc%25");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
