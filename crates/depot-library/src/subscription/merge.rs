//! A publisher's item merged with what is held of it: the item and files to store,
//! which files still need content, and the versions that move. Pure.

use std::collections::HashMap;

use depot_model::{ItemFile, LibraryId, LibraryItem, Sha256Digest, Timestamp};
use depot_upstream::DepotPath;

use super::remote::{RemoteFile, RemoteItem};
use crate::LibraryError;
use crate::transfer::names::check_file_name;

/// An item as it is to be stored after a sync.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The item (versions set by [`Synced::finish`]).
    pub item: LibraryItem,
    /// Its files, by name.
    pub files: Vec<ItemFile>,
    /// Per file: where its content is and whether the publisher marks it optional.
    pub sources: Vec<(DepotPath, bool)>,
    /// The stored item and files it replaces (`None`: a new item).
    pub previous: Option<(LibraryItem, Vec<ItemFile>)>,
}

/// Merges `remote` (with its `files`) into `previous`, resolving hrefs with `resolve`.
pub fn merge(
    library: LibraryId,
    previous: Option<(LibraryItem, Vec<ItemFile>)>,
    remote: &RemoteItem,
    files: &[RemoteFile],
    resolve: &dyn Fn(&str) -> Result<DepotPath, LibraryError>,
    now: Timestamp,
) -> Result<Synced, LibraryError> {
    let mut item = if let Some((item, _)) = &previous {
        item.clone()
    } else {
        let mut item = LibraryItem::new(library, remote.name.clone(), now);
        item.source_id = Some(remote.source_id().to_owned());
        item
    };
    let old: HashMap<&str, &ItemFile> = previous
        .as_ref()
        .map(|(_, files)| files.iter().map(|f| (f.name.as_str(), f)).collect())
        .unwrap_or_default();
    let mut merged: Vec<(ItemFile, (DepotPath, bool))> = Vec::with_capacity(files.len());
    for rf in files {
        check_file_name(&rf.name)
            .map_err(|e| LibraryError::SyncFailed(format!("item {}: {e}", remote.name)))?;
        if merged.iter().any(|(f, _)| f.name == rf.name) {
            return Err(LibraryError::SyncFailed(format!(
                "item {} lists file {} twice",
                remote.name, rf.name
            )));
        }
        let href = rf.hrefs.first().ok_or_else(|| {
            LibraryError::SyncFailed(format!(
                "item {}: file {} has no href",
                remote.name, rf.name
            ))
        })?;
        let path = resolve(href)?;
        let kept = old
            .get(rf.name.as_str())
            .filter(|o| o.size == rf.size && rf.etag.is_some() && o.source_etag == rf.etag);
        merged.push((
            ItemFile {
                item_id: item.id,
                name: rf.name.clone(),
                size: rf.size,
                digest: kept.and_then(|o| o.digest),
                version: kept.map_or(0, |o| o.version),
                source_href: Some(path.as_str().to_owned()),
                source_etag: rf.etag.clone(),
                optional: rf.optional,
            },
            (path, rf.optional),
        ));
    }
    merged.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    item.name.clone_from(&remote.name);
    item.description.clone_from(&remote.description);
    item.item_type = remote.local_type();
    item.source_version = Some(remote.version.clone());
    item.source_href.clone_from(&remote.self_href);
    item.last_sync_time = Some(now);
    let (files, sources) = merged.into_iter().unzip();
    Ok(Synced {
        item,
        files,
        sources,
        previous,
    })
}

/// The SHA-256 a publisher's etag states, when it is one (depotd's publisher sends the
/// content's digest; other etags are opaque).
pub fn etag_digest(etag: Option<&str>) -> Option<Sha256Digest> {
    let hex = etag?.trim_matches('"');
    (hex.len() == 64).then(|| hex.parse().ok()).flatten()
}

impl Synced {
    /// Indexes of the files without content, optional ones only when `optional`.
    pub fn missing(&self, optional: bool) -> Vec<usize> {
        (0..self.files.len())
            .filter(|&i| self.files[i].digest.is_none() && (optional || !self.sources[i].1))
            .collect()
    }

    /// Sets size, `cached` (every required file has content) and the versions: the
    /// content version moves when the set of files or any content changed, the metadata
    /// version when name, description or type did, the version when anything did.
    pub fn finish(&mut self, now: Timestamp) {
        self.item.size = self.files.iter().map(|f| f.size).sum();
        self.item.cached = self
            .files
            .iter()
            .zip(&self.sources)
            .all(|(f, (_, optional))| *optional || f.digest.is_some());
        let Some((old, old_files)) = &self.previous else {
            for f in &mut self.files {
                f.version = 1;
            }
            return;
        };
        let same_file = |f: &ItemFile| {
            old_files.iter().any(|o| {
                o.name == f.name
                    && o.size == f.size
                    && o.digest == f.digest
                    && o.source_etag == f.source_etag
                    && o.source_href == f.source_href
            })
        };
        let content = old_files.len() != self.files.len() || !self.files.iter().all(same_file);
        let metadata = old.name != self.item.name
            || old.description != self.item.description
            || old.item_type != self.item.item_type;
        let other = old.cached != self.item.cached
            || old.source_version != self.item.source_version
            || old.source_href != self.item.source_href;
        if content {
            self.item.content_version = old.content_version + 1;
        }
        if metadata {
            self.item.metadata_version = old.metadata_version + 1;
        }
        for f in &mut self.files {
            if f.version == 0 || !same_file(f) {
                f.version = self.item.content_version;
            }
        }
        if content || metadata || other {
            self.item.version = old.version + 1;
            self.item.last_modified_time = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(version: &str, etag: &str) -> (RemoteItem, Vec<RemoteFile>) {
        let file = RemoteFile {
            name: "a.iso".to_owned(),
            size: 3,
            etag: Some(etag.to_owned()),
            hrefs: vec!["a/a.iso".to_owned()],
            optional: false,
        };
        let item = RemoteItem {
            id: "urn:uuid:src".to_owned(),
            name: "a".to_owned(),
            description: None,
            item_type: Some("vcsp.iso".to_owned()),
            version: version.to_owned(),
            self_href: Some("a/item.json".to_owned()),
            files: None,
        };
        (item, vec![file])
    }

    fn path(href: &str) -> Result<DepotPath, LibraryError> {
        DepotPath::parse(href).map_err(|e| LibraryError::SyncFailed(e.to_string()))
    }

    #[test]
    fn content_is_kept_while_the_etag_is() {
        let now = depot_model::now();
        let lib = LibraryId::new();
        let (item, files) = remote("1", "e1");
        let mut first = merge(lib, None, &item, &files, &path, now).unwrap();
        assert_eq!(first.missing(false), vec![0]);
        first.files[0].digest = Some(Sha256Digest::from_bytes([1; 32]));
        first.finish(now);
        assert!(first.item.cached);
        assert_eq!((first.item.version, first.files[0].version), (1, 1));
        assert_eq!(first.item.source_id.as_deref(), Some("src"));
        let stored = Some((first.item.clone(), first.files.clone()));

        let (item, files) = remote("2", "e1");
        let mut same = merge(lib, stored.clone(), &item, &files, &path, now).unwrap();
        assert!(same.missing(false).is_empty());
        same.finish(now);
        assert_eq!((same.item.version, same.item.content_version), (2, 1));

        let (item, files) = remote("3", "e2");
        let mut changed = merge(lib, stored, &item, &files, &path, now).unwrap();
        assert_eq!(changed.missing(false), vec![0]);
        changed.finish(now);
        assert!(!changed.item.cached);
        assert_eq!((changed.item.version, changed.item.content_version), (2, 2));
        assert_eq!(changed.files[0].version, 2);
    }

    #[test]
    fn bad_files_are_refused() {
        let now = depot_model::now();
        let (item, mut files) = remote("1", "e");
        files.push(files[0].clone());
        assert!(merge(LibraryId::new(), None, &item, &files, &path, now).is_err());
        let (item, mut files) = remote("1", "e");
        files[0].name = "../x".to_owned();
        assert!(merge(LibraryId::new(), None, &item, &files, &path, now).is_err());
    }

    #[test]
    fn sha256_etags_are_digests() {
        let hex = "ab".repeat(32);
        assert!(etag_digest(Some(&hex)).is_some());
        assert!(etag_digest(Some(&format!("\"{hex}\""))).is_some());
        assert!(etag_digest(Some("W/\"opaque\"")).is_none());
        assert!(etag_digest(None).is_none());
    }
}
