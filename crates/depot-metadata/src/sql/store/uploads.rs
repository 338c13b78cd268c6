//! [`UploadStore`] on SQL.

use async_trait::async_trait;
use depot_model::uploaded_file::blob_owner;
use depot_model::{FileId, Timestamp, UploadedFile, UserName};

use super::SqlStore;
use crate::sql::column::{Decoder, size_value};
use crate::sql::{Backend, On, Statement, WriteLock, query_error, to_millis, unique_violation};
use crate::{MetadataError, Result, UploadStore};

/// The columns of `uploaded_files`, in [`UploadRecord`]'s order.
const COLUMNS: &str = "id, digest, size, file_name, owner, created, expires, used_by";

/// One stored row of `uploaded_files`.
#[derive(Debug, sqlx::FromRow)]
struct UploadRecord {
    id: String,
    digest: String,
    size: i64,
    file_name: Option<String>,
    owner: String,
    created: i64,
    expires: i64,
    used_by: Option<String>,
}

impl UploadRecord {
    fn into_file(self) -> Result<UploadedFile> {
        let d = Decoder::new("uploaded file", &self.id);
        Ok(UploadedFile {
            id: d.parse("id", &self.id)?,
            digest: d.parse("digest", &self.digest)?,
            size: d.size("size", self.size)?,
            file_name: self.file_name,
            owner: UserName::parse(&self.owner).map_err(|e| d.corrupt("owner", e))?,
            created: d.time("created", self.created)?,
            expires: d.time("expires", self.expires)?,
            used_by: self.used_by,
        })
    }
}

/// `SELECT … FROM uploaded_files WHERE id = ?` for `id`.
fn select_one(id: FileId) -> Statement {
    Statement::new(format!("SELECT {COLUMNS} FROM uploaded_files WHERE id = ?"))
        .bind(id.to_string())
}

/// The `WHERE` of the files the housekeeping removes at `now`.
const EXPIRED: &str = "used_by IS NULL AND expires <= ?";

#[async_trait]
impl<B: Backend> UploadStore for SqlStore<B> {
    async fn insert_upload(&self, file: &UploadedFile) -> Result<()> {
        let op = "insert_upload";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let insert = Statement::new(format!(
            "INSERT INTO uploaded_files ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(file.id.to_string())
        .bind(&file.digest)
        .bind(size_value(file.size))
        .bind(file.file_name.clone())
        .bind(file.owner.as_str())
        .bind(to_millis(file.created))
        .bind(to_millis(file.expires))
        .bind(file.used_by.clone());
        match self.db.execute(On::Tx(&mut tx), insert).await {
            Ok(_) => {}
            Err(e) if unique_violation(&e).is_some() => {
                return Err(MetadataError::AlreadyExists {
                    what: format!("uploaded file {}", file.id),
                });
            }
            Err(e) => return Err(query_error(op)(e)),
        }
        let reference = Statement::new(
            "INSERT INTO blob_refs (digest, owner) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&file.digest)
        .bind(file.blob_owner());
        self.db
            .execute(On::Tx(&mut tx), reference)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))
    }

    async fn get_upload(&self, id: FileId) -> Result<Option<UploadedFile>> {
        let record: Option<UploadRecord> = self
            .db
            .fetch_optional(On::Read, select_one(id))
            .await
            .map_err(query_error("get_upload"))?;
        record.map(UploadRecord::into_file).transpose()
    }

    async fn reserve_upload(
        &self,
        id: FileId,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<Option<UploadedFile>> {
        let op = "reserve_upload";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        // One guarded statement: a file the housekeeping removed meanwhile, or that a
        // depot used, is not touched.
        let mut update = Statement::new("UPDATE uploaded_files SET expires = ");
        update
            .push("CASE WHEN expires < ")
            .push_bind(to_millis(expires))
            .push(" THEN ")
            .push_bind(to_millis(expires))
            .push(" ELSE expires END WHERE id = ")
            .push_bind(id.to_string())
            .push(" AND used_by IS NULL AND expires > ")
            .push_bind(to_millis(now));
        let changed = self
            .db
            .execute(On::Tx(&mut tx), update)
            .await
            .map_err(query_error(op))?;
        if changed == 0 {
            tx.rollback().await.map_err(query_error(op))?;
            return Ok(None);
        }
        let record: Option<UploadRecord> = self
            .db
            .fetch_optional(On::Tx(&mut tx), select_one(id))
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        record.map(UploadRecord::into_file).transpose()
    }

    async fn set_upload_used(&self, id: FileId, used_by: &str) -> Result<bool> {
        let stmt = Statement::new(
            "UPDATE uploaded_files SET used_by = ? WHERE id = ? AND used_by IS NULL",
        )
        .bind(used_by)
        .bind(id.to_string());
        let changed = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("set_upload_used"))?;
        Ok(changed > 0)
    }

    async fn delete_expired_uploads(&self, now: Timestamp) -> Result<u64> {
        let op = "delete_expired_uploads";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let expired: Vec<(String,)> = self
            .db
            .fetch_all(
                On::Tx(&mut tx),
                Statement::new(format!("SELECT id FROM uploaded_files WHERE {EXPIRED}"))
                    .bind(to_millis(now)),
            )
            .await
            .map_err(query_error(op))?;
        let mut removed = 0;
        for (id,) in expired {
            let parsed: FileId = Decoder::new("uploaded file", &id).parse("id", &id)?;
            // Guarded again: a file reserved or used since the list above stays.
            let delete = Statement::new(format!(
                "DELETE FROM uploaded_files WHERE id = ? AND {EXPIRED}"
            ))
            .bind(id.as_str())
            .bind(to_millis(now));
            let gone = self
                .db
                .execute(On::Tx(&mut tx), delete)
                .await
                .map_err(query_error(op))?;
            if gone == 0 {
                continue;
            }
            let references =
                Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(blob_owner(parsed));
            self.db
                .execute(On::Tx(&mut tx), references)
                .await
                .map_err(query_error(op))?;
            removed += gone;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(removed)
    }
}
