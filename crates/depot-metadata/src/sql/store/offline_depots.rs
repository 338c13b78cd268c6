//! [`OfflineDepotStore`] on SQL.

use std::collections::BTreeSet;

use async_trait::async_trait;
use depot_model::offline_depot::blob_owner;
use depot_model::{
    OfflineDepot, OfflineDepotFile, OfflineDepotId, OfflineDepotSource, Sha256Digest, UserName,
};

use super::SqlStore;
use crate::sql::column::{Decoder, size_value};
use crate::sql::{
    Backend, On, SqlValue, Statement, WriteLock, query_error, to_millis, unique_violation,
};
use crate::{OfflineDepotInsert, OfflineDepotStore, Result};

/// The columns of `offline_depots` but `content`, in [`DepotRecord`]'s order.
const COLUMNS: &str = "id, identity, source_digest, description, source_type, location, file_id, ownerdata, owner, create_time";

/// Rows per multi-row `INSERT` (well under either backend's bound-parameter limit).
const ROWS_PER_INSERT: usize = 200;

/// One stored row of `offline_depots` (without `content`).
#[derive(Debug, sqlx::FromRow)]
struct DepotRecord {
    id: String,
    identity: String,
    source_digest: String,
    description: String,
    source_type: String,
    location: Option<String>,
    file_id: Option<String>,
    ownerdata: Option<String>,
    owner: String,
    create_time: i64,
}

impl DepotRecord {
    fn into_depot(self) -> Result<OfflineDepot> {
        let d = Decoder::new("offline depot", &self.id);
        let source = match (self.source_type.as_str(), self.location, self.file_id) {
            ("PULL", Some(location), _) => OfflineDepotSource::Pull { location },
            ("PUSH", _, Some(file_id)) => OfflineDepotSource::Push {
                file_id: d.parse("file_id", &file_id)?,
            },
            (other, _, _) => return Err(d.corrupt("source_type", other)),
        };
        Ok(OfflineDepot {
            id: d.parse("id", &self.id)?,
            identity: d.parse("identity", &self.identity)?,
            source_digest: d.parse("source_digest", &self.source_digest)?,
            description: self.description,
            source,
            ownerdata: self.ownerdata,
            owner: UserName::parse(&self.owner).map_err(|e| d.corrupt("owner", e))?,
            create_time: d.time("create_time", self.create_time)?,
        })
    }
}

/// One stored row of `offline_depot_files`.
#[derive(Debug, sqlx::FromRow)]
struct FileRecord {
    path: String,
    digest: String,
    size: i64,
}

/// The `INSERT` of `depot`'s row.
fn insert_row(depot: &OfflineDepot, content: &str) -> Statement {
    let (source_type, location, file_id) = match &depot.source {
        OfflineDepotSource::Pull { location } => ("PULL", Some(location.clone()), None),
        OfflineDepotSource::Push { file_id } => ("PUSH", None, Some(file_id.to_string())),
    };
    Statement::new(format!(
        "INSERT INTO offline_depots ({COLUMNS}, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(depot.id.to_string())
    .bind(&depot.identity)
    .bind(&depot.source_digest)
    .bind(depot.description.as_str())
    .bind(source_type)
    .bind(location)
    .bind(file_id)
    .bind(depot.ownerdata.clone())
    .bind(depot.owner.as_str())
    .bind(to_millis(depot.create_time))
    .bind(content)
}

/// Multi-row `INSERT`s of `rows` (each a tuple of values) into `table (columns)`.
fn insert_rows(table: &str, columns: &str, suffix: &str, rows: &[Vec<SqlValue>]) -> Vec<Statement> {
    rows.chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            let mut stmt = Statement::new(format!("INSERT INTO {table} ({columns}) VALUES "));
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    stmt.push(", ");
                }
                stmt.push("(").push_values(row.iter().cloned()).push(")");
            }
            stmt.push(suffix);
            stmt
        })
        .collect()
}

/// The id of the depot whose identity is `identity`, read on `on`.
async fn depot_by_identity<B: Backend>(
    store: &SqlStore<B>,
    on: On<'_, B::Db>,
    identity: &Sha256Digest,
) -> Result<Option<OfflineDepotId>> {
    let found: Option<(String,)> = store
        .db
        .fetch_optional(
            on,
            Statement::new("SELECT id FROM offline_depots WHERE identity = ?").bind(identity),
        )
        .await
        .map_err(query_error("offline_depot_by_identity"))?;
    found
        .map(|(id,)| Decoder::new("offline depot", &id).parse("id", &id))
        .transpose()
}

#[async_trait]
impl<B: Backend> OfflineDepotStore for SqlStore<B> {
    async fn insert_offline_depot(
        &self,
        depot: &OfflineDepot,
        content: &str,
        files: &[OfflineDepotFile],
    ) -> Result<OfflineDepotInsert> {
        let op = "insert_offline_depot";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        if let Some(existing) = depot_by_identity(self, On::Tx(&mut tx), &depot.identity).await? {
            tx.rollback().await.map_err(query_error(op))?;
            return Ok(OfflineDepotInsert::Exists(existing));
        }
        match self
            .db
            .execute(On::Tx(&mut tx), insert_row(depot, content))
            .await
        {
            Ok(_) => {}
            Err(e) if unique_violation(&e).is_some() => {
                // Another import of the same content won the race.
                drop(tx);
                return match depot_by_identity(self, On::Read, &depot.identity).await? {
                    Some(existing) => Ok(OfflineDepotInsert::Exists(existing)),
                    None => Err(query_error(op)(e)),
                };
            }
            Err(e) => return Err(query_error(op)(e)),
        }
        let id = depot.id.to_string();
        let file_rows: Vec<Vec<SqlValue>> = files
            .iter()
            .map(|f| {
                vec![
                    SqlValue::from(id.as_str()),
                    f.path.as_str().into(),
                    (&f.digest).into(),
                    size_value(f.size).into(),
                ]
            })
            .collect();
        let owner = depot.blob_owner();
        let digests: BTreeSet<&Sha256Digest> = files.iter().map(|f| &f.digest).collect();
        let ref_rows: Vec<Vec<SqlValue>> = digests
            .into_iter()
            .map(|d| vec![SqlValue::from(d), owner.as_str().into()])
            .collect();
        let statements = insert_rows(
            "offline_depot_files",
            "depot_id, path, digest, size",
            "",
            &file_rows,
        )
        .into_iter()
        .chain(insert_rows(
            "blob_refs",
            "digest, owner",
            " ON CONFLICT DO NOTHING",
            &ref_rows,
        ));
        for stmt in statements {
            self.db
                .execute(On::Tx(&mut tx), stmt)
                .await
                .map_err(query_error(op))?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(OfflineDepotInsert::Inserted)
    }

    async fn get_offline_depot(&self, id: OfflineDepotId) -> Result<Option<OfflineDepot>> {
        let record: Option<DepotRecord> = self
            .db
            .fetch_optional(
                On::Read,
                Statement::new(format!("SELECT {COLUMNS} FROM offline_depots WHERE id = ?"))
                    .bind(id.to_string()),
            )
            .await
            .map_err(query_error("get_offline_depot"))?;
        record.map(DepotRecord::into_depot).transpose()
    }

    async fn list_offline_depots(&self) -> Result<Vec<OfflineDepot>> {
        let records: Vec<DepotRecord> = self
            .db
            .fetch_all(
                On::Read,
                Statement::new(format!(
                    "SELECT {COLUMNS} FROM offline_depots ORDER BY create_time, id"
                )),
            )
            .await
            .map_err(query_error("list_offline_depots"))?;
        records.into_iter().map(DepotRecord::into_depot).collect()
    }

    async fn offline_depot_content(&self, id: OfflineDepotId) -> Result<Option<String>> {
        let content: Option<(String,)> = self
            .db
            .fetch_optional(
                On::Read,
                Statement::new("SELECT content FROM offline_depots WHERE id = ?")
                    .bind(id.to_string()),
            )
            .await
            .map_err(query_error("offline_depot_content"))?;
        Ok(content.map(|(c,)| c))
    }

    async fn offline_depot_files(&self, id: OfflineDepotId) -> Result<Vec<OfflineDepotFile>> {
        let records: Vec<FileRecord> = self
            .db
            .fetch_all(
                On::Read,
                Statement::new(
                    "SELECT path, digest, size FROM offline_depot_files WHERE depot_id = ? ORDER BY path",
                )
                .bind(id.to_string()),
            )
            .await
            .map_err(query_error("offline_depot_files"))?;
        let d = Decoder::new("offline depot", id);
        records
            .into_iter()
            .map(|r| {
                Ok(OfflineDepotFile {
                    digest: d.parse("digest", &r.digest)?,
                    size: d.size("size", r.size)?,
                    path: r.path,
                })
            })
            .collect()
    }

    async fn offline_depot_by_source(
        &self,
        digest: &Sha256Digest,
    ) -> Result<Option<OfflineDepotId>> {
        let found: Option<(String,)> = self
            .db
            .fetch_optional(
                On::Read,
                Statement::new(
                    "SELECT id FROM offline_depots WHERE source_digest = ? ORDER BY create_time, id LIMIT 1",
                )
                .bind(digest),
            )
            .await
            .map_err(query_error("offline_depot_by_source"))?;
        found
            .map(|(id,)| Decoder::new("offline depot", &id).parse("id", &id))
            .transpose()
    }

    async fn delete_offline_depot(&self, id: OfflineDepotId) -> Result<bool> {
        let op = "delete_offline_depot";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let key = id.to_string();
        let gone = self
            .db
            .execute(
                On::Tx(&mut tx),
                Statement::new("DELETE FROM offline_depots WHERE id = ?").bind(key.as_str()),
            )
            .await
            .map_err(query_error(op))?;
        for stmt in [
            Statement::new("DELETE FROM offline_depot_files WHERE depot_id = ?").bind(key.as_str()),
            Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(blob_owner(id)),
        ] {
            self.db
                .execute(On::Tx(&mut tx), stmt)
                .await
                .map_err(query_error(op))?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(gone > 0)
    }
}
