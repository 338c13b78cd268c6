//! Copying an item: a new item with the same files, holding the same blobs under its
//! own references.

use std::time::Duration;

use depot_metadata::CreateOutcome;
use depot_model::{
    FileTransfer, ItemId, LibraryId, LibraryItem, LibraryKind, SessionFile, SourceType, StoredBlob,
    TransferStatus, UpdateSession,
};

use crate::library::{check_name, token};
use crate::{ContentLibrary, LibraryError};

/// The destination of a copy: unset fields take the source's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopySpec {
    /// The library to copy into (the source's if unset).
    pub library_id: Option<LibraryId>,
    /// The new item's name (the source's if unset).
    pub name: Option<String>,
    /// The new item's description (the source's if unset).
    pub description: Option<String>,
}

impl ContentLibrary {
    /// Copies item `source` for `user`: a new item in the destination library with
    /// the source's type and files. With a client token used before by that user,
    /// returns the copy made then. Nothing is left behind when it fails.
    pub async fn copy_item(
        &self,
        user: &str,
        source: ItemId,
        spec: CopySpec,
        client_token: Option<&str>,
    ) -> Result<ItemId, LibraryError> {
        let original = self.item(source).await?;
        let library_id = spec.library_id.unwrap_or(original.library_id);
        let name = spec.name.unwrap_or_else(|| original.name.clone());
        check_name("library item", &name)?;
        let token = token(user, client_token)?;
        self.library_of(library_id, Some(LibraryKind::Local))
            .await?;
        let files = self.store().item_files(source).await?;
        if let Some(f) = files.iter().find(|f| !f.cached()) {
            return Err(LibraryError::NotAllowed(format!(
                "file {} of library item {source} is not cached here",
                f.name
            )));
        }
        let mut item = LibraryItem::new(library_id, name, self.now());
        item.description = spec.description.or(original.description);
        item.item_type = original.item_type;
        if let CreateOutcome::Existing(id) = self.store().insert_item(&item, token.as_ref()).await?
        {
            return Ok(id);
        }
        if files.is_empty() {
            return Ok(item.id);
        }
        let blobs = files
            .into_iter()
            .filter_map(|f| {
                f.digest.map(|digest| {
                    (
                        f.name,
                        StoredBlob {
                            digest,
                            size: f.size,
                        },
                    )
                })
            })
            .collect();
        match self.fill(user, item.id, blobs).await {
            Ok(()) => Ok(item.id),
            Err(e) => {
                self.store().delete_item(item.id, true).await?;
                Err(e)
            }
        }
    }

    /// Gives new item `id` the files `blobs` through an update session completed at
    /// once, so that the store moves the blob references as for an upload.
    async fn fill(
        &self,
        user: &str,
        id: ItemId,
        blobs: Vec<(String, StoredBlob)>,
    ) -> Result<(), LibraryError> {
        let now = self.now();
        let session = UpdateSession::new(id, user, now, now + Duration::from_mins(1));
        self.store().insert_update_session(&session, None).await?;
        for (name, stored) in blobs {
            let file = SessionFile {
                session_id: session.id,
                name,
                source_type: SourceType::None,
                declared_size: Some(stored.size),
                declared_checksum: None,
                pull_endpoint: None,
                upload_token: format!("copy-{}", ItemId::new()),
                transfer: FileTransfer {
                    status: TransferStatus::Ready,
                    bytes_transferred: stored.size,
                    stored: Some(stored),
                    error_message: None,
                },
            };
            self.store().add_session_file(&file).await?;
        }
        self.store()
            .complete_update_session(session.id, now)
            .await?;
        Ok(())
    }
}
