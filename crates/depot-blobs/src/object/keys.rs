//! Where things live in the bucket, under the store's prefix:
//!
//! - `sha256/<first 2 hex>/<64 hex>`: committed blobs;
//! - `staging/uploads/<id>`: a marker per in-progress multipart upload (its key and
//!   upload id; its age is the upload's age), so any replica can clean it up;
//! - `staging/data/<id>`: the data of a write whose digest was not known up front,
//!   copied to its blob key once checked;
//! - `staging/probe-<id>`: the write probe.

use object_store::path::Path;

use crate::Sha256Digest;

/// Builds the keys of one store.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    /// The prefix with a trailing `/`, or empty.
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        let trimmed = prefix.trim_matches('/');
        let prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        Self { prefix }
    }

    fn path(&self, rest: &str) -> Path {
        Path::from(format!("{}{rest}", self.prefix))
    }

    /// A committed blob.
    pub(super) fn blob(&self, digest: &Sha256Digest) -> Path {
        let hex = digest.to_string();
        self.path(&format!("sha256/{}/{hex}", &hex[..2]))
    }

    /// Where all committed blobs are.
    pub(super) fn blobs(&self) -> Path {
        self.path("sha256")
    }

    /// The digest a listed blob key names, if it is one.
    pub(super) fn digest_of(location: &Path) -> Option<Sha256Digest> {
        location.filename()?.parse().ok()
    }

    /// The marker of upload `id`.
    pub(super) fn marker(&self, id: &str) -> Path {
        self.path(&format!("staging/uploads/{id}"))
    }

    /// Where the markers are.
    pub(super) fn markers(&self) -> Path {
        self.path("staging/uploads")
    }

    /// The staging data of upload `id`.
    pub(super) fn staging_data(&self, id: &str) -> Path {
        self.path(&format!("staging/data/{id}"))
    }

    /// A write probe.
    pub(super) fn probe(&self, id: &str) -> Path {
        self.path(&format!("staging/probe-{id}"))
    }
}

/// A fresh random id for an upload or a probe.
pub(super) fn random_id() -> Result<String, crate::BlobError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(crate::BlobError::Random)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let digest = Sha256Digest::compute(b"abc");
        let keys = Keys::new("/site/a/");
        let blob = keys.blob(&digest);
        assert_eq!(blob.as_ref(), format!("site/a/sha256/ba/{digest}"));
        assert_eq!(Keys::digest_of(&blob), Some(digest));
        assert_eq!(Keys::new("").marker("x").as_ref(), "staging/uploads/x");
        assert_eq!(Keys::digest_of(&Path::from("sha256/zz/nope")), None);
    }
}
