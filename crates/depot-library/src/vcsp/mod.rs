//! Publishing over VCSP: what a subscriber (a vCenter, another depotd) reads of a
//! published local library, and who may read it.
//!
//! Ids never change and versions only grow, so a subscriber re-reads `items.json` only
//! when `lib.json`'s `version` moved, and a file only when its `etag` (the content's
//! SHA-256) did. Anything that is not a published library answers like an unknown one.
//! A subscribed library may be published too (depotd's extension, for chains of
//! subscribers): it lists every file, and one not cached yet is fetched from its own
//! publisher when a subscriber asks for it.

mod documents;

use depot_model::{
    ItemFile, ItemId, Library, LibraryAuth, LibraryId, LibraryItem, LibraryKind, Secret,
};

pub use documents::{Capabilities, FileJson, ItemJson, ItemsJson, LibJson, VCSP_VERSION};

use crate::{ContentLibrary, LibraryError, PUBLISH_PASSWORD_FIELD, VCSP_USER};

fn not_published(id: &str) -> LibraryError {
    LibraryError::NotFound {
        what: "published library",
        id: id.to_owned(),
    }
}

impl ContentLibrary {
    /// The published library `id` (local or subscribed); an unknown or unpublished one
    /// is `NotFound`, all alike.
    pub async fn published_library(&self, id: &str) -> Result<Library, LibraryError> {
        let parsed: LibraryId = id.parse().map_err(|_| not_published(id))?;
        let library = self
            .store()
            .get_library(parsed)
            .await?
            .ok_or_else(|| not_published(id))?;
        // A subscribed library may be published too (depotd's extension: vCenter
        // publishes local libraries only), so that chains of subscribers work.
        let published = library.publish.as_ref().is_some_and(|p| p.published);
        if published {
            Ok(library)
        } else {
            Err(not_published(id))
        }
    }

    /// Checks what a subscriber sent (`basic`: user name and password) against the
    /// library's publish settings: nothing is needed for `NONE`; `BASIC` needs user
    /// `vcsp` and the library's password, compared in constant time.
    pub fn check_subscriber(
        &self,
        library: &Library,
        basic: Option<(&str, &Secret)>,
    ) -> Result<(), LibraryError> {
        let Some(publish) = &library.publish else {
            return Err(not_published(&library.id.to_string()));
        };
        if publish.authentication == LibraryAuth::None {
            return Ok(());
        }
        let refused = || LibraryError::Unauthenticated("VCSP credentials are required".to_owned());
        let (user, password) = basic.ok_or_else(refused)?;
        let Some(sealed) = &publish.password else {
            return Err(refused());
        };
        let expected = self.open(PUBLISH_PASSWORD_FIELD, sealed)?;
        let user_ok = user == VCSP_USER;
        let password_ok = same(expected.expose().as_bytes(), password.expose().as_bytes());
        if user_ok && password_ok {
            Ok(())
        } else {
            Err(refused())
        }
    }

    /// `items.json` of a published library.
    pub async fn vcsp_items(&self, library: &Library) -> Result<ItemsJson, LibraryError> {
        let mut files = self.store().library_files(library.id).await?;
        files.sort_by_key(|f| f.item_id);
        let items = self
            .store()
            .list_items(library.id)
            .await?
            .iter()
            .map(|item| {
                let start = files.partition_point(|f| f.item_id < item.id);
                let end = files.partition_point(|f| f.item_id <= item.id);
                item_json(library, item, &files[start..end])
            })
            .collect();
        Ok(ItemsJson { items })
    }

    /// `item.json` of item `item` of a published library.
    pub async fn vcsp_item(&self, library: &Library, item: &str) -> Result<ItemJson, LibraryError> {
        let found = self.library_item(library, item).await?;
        let files = self.store().item_files(found.id).await?;
        Ok(item_json(library, &found, &files))
    }

    /// The cached file `name` of item `item` of a published library; of a subscribed
    /// one, fetched from its publisher first when it is not cached.
    pub async fn vcsp_file(
        &self,
        library: &Library,
        item: &str,
        name: &str,
    ) -> Result<ItemFile, LibraryError> {
        let found = self.library_item(library, item).await?;
        if library.kind == LibraryKind::Subscribed {
            return match self.cached_file(found.id, name).await {
                Err(LibraryError::NotFound { .. }) => Err(LibraryError::NotFound {
                    what: "file",
                    id: name.to_owned(),
                }),
                other => other,
            };
        }
        self.store()
            .item_file(found.id, name)
            .await?
            .filter(ItemFile::cached)
            .ok_or_else(|| LibraryError::NotFound {
                what: "file",
                id: name.to_owned(),
            })
    }

    async fn library_item(
        &self,
        library: &Library,
        item: &str,
    ) -> Result<depot_model::LibraryItem, LibraryError> {
        let missing = || LibraryError::NotFound {
            what: "library item",
            id: item.to_owned(),
        };
        let id: ItemId = item.parse().map_err(|_| missing())?;
        self.store()
            .get_item(id)
            .await?
            .filter(|i| i.library_id == library.id)
            .ok_or_else(missing)
    }
}

/// `item.json` of `item`: a local library lists its cached files, a subscribed one
/// every file (those not cached are fetched when a subscriber asks for them).
fn item_json(library: &Library, item: &LibraryItem, files: &[ItemFile]) -> ItemJson {
    if library.kind == LibraryKind::Subscribed {
        ItemJson::of_subscribed(item, files)
    } else {
        ItemJson::of(item, files)
    }
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_compares_whole_values() {
        assert!(super::same(b"secret", b"secret"));
        assert!(!super::same(b"secret", b"secreT"));
        assert!(!super::same(b"secret", b"secret2"));
        assert!(!super::same(b"", b"x"));
    }
}
