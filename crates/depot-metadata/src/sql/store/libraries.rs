//! [`LibraryStore`] on SQL.

use async_trait::async_trait;
use depot_model::{ClientToken, Library, LibraryId, LibraryKind, Timestamp};

use super::SqlStore;
use super::library_shared::{ItemScope, created_with, insert_with_token};
use crate::sql::column::{Decoder, json_text, json_text_opt};
use crate::sql::{
    Backend, LIBRARY_COLUMNS, LibraryRecord, On, Statement, WriteLock, query_error, to_millis,
    unique_violation,
};
use crate::{CreateOutcome, LibraryFilter, LibraryStore, MetadataError, Result};

#[async_trait]
impl<B: Backend> LibraryStore for SqlStore<B> {
    async fn insert_library(
        &self,
        library: &Library,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<LibraryId>> {
        let op = "insert_library";
        if let Some(id) = created_with(&self.db, "libraries", token, op).await? {
            return Ok(CreateOutcome::Existing(id));
        }
        let values = LibraryRecord::values(library, op)?;
        let stmt = insert_with_token("libraries", LIBRARY_COLUMNS, values, token);
        match self.db.execute(On::Write, stmt).await {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(e) if unique_violation(&e).is_some() => {
                // A concurrent create with the same token, or the name is taken.
                match created_with(&self.db, "libraries", token, op).await? {
                    Some(id) => Ok(CreateOutcome::Existing(id)),
                    None => Err(MetadataError::AlreadyExists {
                        what: format!("library {:?}", library.name),
                    }),
                }
            }
            Err(e) => Err(query_error(op)(e)),
        }
    }

    async fn get_library(&self, id: LibraryId) -> Result<Option<Library>> {
        let read = async {
            let stmt = Statement::new(format!(
                "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = ?"
            ))
            .bind(id.to_string());
            let record: Option<LibraryRecord> = self
                .db
                .fetch_optional(On::Read, stmt)
                .await
                .map_err(query_error("get_library"))?;
            record.map(LibraryRecord::into_library).transpose()
        };
        self.reads
            .libraries
            .get_or_read(self.db.epoch(), id, read)
            .await
    }

    async fn list_libraries(&self, kind: Option<LibraryKind>) -> Result<Vec<Library>> {
        let mut stmt = Statement::new(format!(
            "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE TRUE"
        ));
        stmt.push_and_in("kind", kind.map(LibraryKind::as_str));
        stmt.push(" ORDER BY name");
        let records: Vec<LibraryRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("list_libraries"))?;
        records
            .into_iter()
            .map(LibraryRecord::into_library)
            .collect()
    }

    async fn find_libraries(&self, filter: &LibraryFilter) -> Result<Vec<LibraryId>> {
        let mut stmt = Statement::new("SELECT id FROM libraries WHERE TRUE");
        stmt.push_and_in("name", filter.name.clone());
        stmt.push_and_in("kind", filter.kind.map(LibraryKind::as_str));
        stmt.push(" ORDER BY name");
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("find_libraries"))?;
        rows.iter()
            .map(|(id,)| Decoder::new("library", id).parse("id", id))
            .collect()
    }

    async fn update_library(&self, library: &Library) -> Result<Option<i64>> {
        let op = "update_library";
        let stmt = Statement::new(
            "UPDATE libraries SET name = ?, description = ?, storage = ?, publish = ?, \
             subscription = ?, last_modified_time = ?, last_sync_time = ?, \
             version = version + 1 WHERE id = ? AND version = ? RETURNING version",
        )
        .bind(library.name.clone())
        .bind(library.description.clone())
        .bind(json_text(&library.storage, op)?)
        .bind(json_text_opt(library.publish.as_ref(), op)?)
        .bind(json_text_opt(library.subscription.as_ref(), op)?)
        .bind(to_millis(library.last_modified_time))
        .bind(library.last_sync_time.map(to_millis))
        .bind(library.id.to_string())
        .bind(library.version);
        match self.db.fetch_optional::<(i64,)>(On::Write, stmt).await {
            Ok(version) => Ok(version.map(|(v,)| v)),
            Err(e) if unique_violation(&e).is_some() => Err(MetadataError::AlreadyExists {
                what: format!("library {:?}", library.name),
            }),
            Err(e) => Err(query_error(op)(e)),
        }
    }

    async fn record_library_sync(
        &self,
        id: LibraryId,
        source_version: Option<&str>,
        at: Timestamp,
    ) -> Result<bool> {
        super::synced_items::record(&self.db, id, source_version, at).await
    }

    async fn delete_library(&self, id: LibraryId, force: bool) -> Result<bool> {
        let op = "delete_library";
        let id = id.to_string();
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let mut found = Statement::new("SELECT id FROM libraries WHERE id = ?").bind(id.as_str());
        found.push(B::DIALECT.lock_row());
        let found: Option<(String,)> = self
            .db
            .fetch_optional(On::Tx(&mut tx), found)
            .await
            .map_err(query_error(op))?;
        if found.is_none() {
            return Ok(false);
        }
        let scope = ItemScope {
            items: "SELECT id FROM library_items WHERE library_id = ?",
            key: &id,
        };
        scope.lock(&self.db, &mut tx, op).await?;
        let active = scope.active_sessions(&self.db, &mut tx, op).await?;
        if active > 0 && !force {
            return Err(MetadataError::OpenUpdateSessions {
                what: format!("library {id}"),
                count: active,
            });
        }
        scope.drop_blob_refs(&self.db, &mut tx, op).await?;
        // Items, their files and sessions go by ON DELETE CASCADE.
        let delete = Statement::new("DELETE FROM libraries WHERE id = ?").bind(id.as_str());
        self.db
            .execute(On::Tx(&mut tx), delete)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(true)
    }
}
