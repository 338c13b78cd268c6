//! Files uploaded to the vLCM file-upload endpoint (`/vum-fileupload`), waiting to be
//! imported as an ESX offline depot (`source_type` `PUSH`, by `file_id`).

use crate::declare::uuid_id;
use crate::{Sha256Digest, Timestamp, UserName};

uuid_id!(
    /// The `file_id` of an uploaded file: a random UUID (122 random bits), shown
    /// hyphenated and lower-case. Knowing it is what lets a depot import use the file.
    FileId,
    "uploaded file"
);

/// The longest original file name kept, in characters (longer ones are cut).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// An uploaded file: its content is a blob, held by the owner
/// [`blob_owner`](UploadedFile::blob_owner) until the record goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The file id answered to the uploader.
    pub id: FileId,
    /// The content's SHA-256 digest (the blob's name).
    pub digest: Sha256Digest,
    /// The content's size in bytes.
    pub size: u64,
    /// The name the client gave the file (multipart `filename`, or a
    /// `Content-Disposition` header on a raw body), if any. A label only: never a path.
    pub file_name: Option<String>,
    /// Who uploaded it.
    pub owner: UserName,
    /// When the upload completed.
    pub created: Timestamp,
    /// When it is removed if no depot used it by then.
    pub expires: Timestamp,
    /// The depot that imported it, once one did (then it no longer expires).
    pub used_by: Option<String>,
}

impl UploadedFile {
    /// The blob-reference owner that keeps this file's content: `uploaded-file:<id>`.
    pub fn blob_owner(&self) -> String {
        blob_owner(self.id)
    }
}

/// The blob-reference owner of the uploaded file `id`.
pub fn blob_owner(id: FileId) -> String {
    format!("uploaded-file:{id}")
}

/// A client's file name as kept: the part after the last `/` or `\` (browsers once
/// sent whole paths), control characters dropped, at most [`MAX_FILE_NAME_CHARS`];
/// `None` when nothing is left.
pub fn clean_file_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let name: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\me\\VMware-ESXi-9.0-depot.zip").as_deref(),
            Some("VMware-ESXi-9.0-depot.zip")
        );
        assert_eq!(
            clean_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_file_name("a\u{0}b\r\n.zip").as_deref(),
            Some("ab.zip")
        );
        assert_eq!(clean_file_name("dir/"), None);
        assert_eq!(clean_file_name(&"x".repeat(1000)).unwrap().len(), 255);
    }

    #[test]
    fn ids_are_random_and_parse_back() {
        let a = FileId::new();
        assert_ne!(a, FileId::new());
        assert_eq!(a.to_string().parse::<FileId>().unwrap(), a);
        assert!("offline-depot-1".parse::<FileId>().is_err());
        assert_eq!(blob_owner(a), format!("uploaded-file:{a}"));
    }
}
