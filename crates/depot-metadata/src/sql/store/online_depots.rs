//! [`OnlineDepotStore`] on SQL.

use async_trait::async_trait;
use depot_model::online_depot::blob_owner;
use depot_model::{
    OnlineDepot, OnlineDepotContent, OnlineDepotId, OnlineDepotState, OnlinePayloadBlob, Timestamp,
    UserName,
};

use super::SqlStore;
use crate::sql::column::{Decoder, size_value};
use crate::sql::{Backend, On, Statement, WriteLock, query_error, to_millis, unique_violation};
use crate::{MetadataError, OnlineDepotStore, Result};

/// The columns of `online_depots`, in [`DepotRecord`]'s order.
const COLUMNS: &str = "id, description, location, enabled, owner, ownerdata, created, \
                       content, identity, synced, attempted, last_error";

/// One stored row of `online_depots`.
#[derive(Debug, sqlx::FromRow)]
struct DepotRecord {
    id: String,
    description: String,
    location: String,
    enabled: bool,
    owner: Option<String>,
    ownerdata: Option<String>,
    created: i64,
    content: Option<String>,
    identity: Option<String>,
    synced: Option<i64>,
    attempted: Option<i64>,
    last_error: Option<String>,
}

impl DepotRecord {
    fn depot(&self) -> Result<OnlineDepot> {
        let d = Decoder::new("online depot", &self.id);
        Ok(OnlineDepot {
            id: d.parse("id", &self.id)?,
            description: self.description.clone(),
            location: self.location.clone(),
            enabled: self.enabled,
            owner: self
                .owner
                .as_deref()
                .map(UserName::parse)
                .transpose()
                .map_err(|e| d.corrupt("owner", e))?,
            ownerdata: self.ownerdata.clone(),
            created: d.time("created", self.created)?,
        })
    }

    fn state(self, payloads: Vec<OnlinePayloadBlob>) -> Result<OnlineDepotState> {
        let d = Decoder::new("online depot", &self.id);
        let content = match (self.content, self.identity, self.synced) {
            (Some(content), Some(identity), Some(synced)) => Some(OnlineDepotContent {
                content,
                identity: d.parse("identity", &identity)?,
                synced: d.time("synced", synced)?,
                payloads,
            }),
            _ => None,
        };
        let last_attempt = match self.attempted {
            Some(at) => Some((d.time("attempted", at)?, self.last_error)),
            None => None,
        };
        Ok(OnlineDepotState {
            content,
            last_attempt,
        })
    }
}

fn select(filter: &str) -> Statement {
    Statement::new(format!("SELECT {COLUMNS} FROM online_depots {filter}"))
}

#[async_trait]
impl<B: Backend> OnlineDepotStore for SqlStore<B> {
    async fn insert_online_depot(&self, depot: &OnlineDepot) -> Result<()> {
        let insert = Statement::new(
            "INSERT INTO online_depots (id, description, location, enabled, owner, ownerdata, \
             created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(depot.id.to_string())
        .bind(depot.description.as_str())
        .bind(depot.location.as_str())
        .bind(depot.enabled)
        .bind(depot.owner.as_ref().map(|o| o.as_str().to_owned()))
        .bind(depot.ownerdata.clone())
        .bind(to_millis(depot.created));
        match self.db.execute(On::Write, insert).await {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e).is_some() => Err(MetadataError::AlreadyExists {
                what: format!("online depot at {}", depot.location),
            }),
            Err(e) => Err(query_error("insert_online_depot")(e)),
        }
    }

    async fn list_online_depots(&self) -> Result<Vec<OnlineDepot>> {
        let rows: Vec<DepotRecord> = self
            .db
            .fetch_all(On::Read, select("ORDER BY created, id"))
            .await
            .map_err(query_error("list_online_depots"))?;
        rows.iter().map(DepotRecord::depot).collect()
    }

    async fn get_online_depot(&self, id: OnlineDepotId) -> Result<Option<OnlineDepot>> {
        let row: Option<DepotRecord> = self
            .db
            .fetch_optional(On::Read, select("WHERE id = ?").bind(id.to_string()))
            .await
            .map_err(query_error("get_online_depot"))?;
        row.as_ref().map(DepotRecord::depot).transpose()
    }

    async fn update_online_depot(
        &self,
        id: OnlineDepotId,
        enabled: Option<bool>,
        description: Option<&str>,
    ) -> Result<bool> {
        let mut update = Statement::new("UPDATE online_depots SET id = id");
        if let Some(enabled) = enabled {
            update.push(", enabled = ").push_bind(enabled);
        }
        if let Some(description) = description {
            update.push(", description = ").push_bind(description);
        }
        update.push(" WHERE id = ").push_bind(id.to_string());
        let changed = self
            .db
            .execute(On::Write, update)
            .await
            .map_err(query_error("update_online_depot"))?;
        Ok(changed > 0)
    }

    async fn delete_online_depot(&self, id: OnlineDepotId) -> Result<bool> {
        let op = "delete_online_depot";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        // Payload rows go by ON DELETE CASCADE.
        let gone = self
            .db
            .execute(
                On::Tx(&mut tx),
                Statement::new("DELETE FROM online_depots WHERE id = ?").bind(id.to_string()),
            )
            .await
            .map_err(query_error(op))?;
        self.db
            .execute(
                On::Tx(&mut tx),
                Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(blob_owner(id)),
            )
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(gone > 0)
    }

    async fn online_depot_state(&self, id: OnlineDepotId) -> Result<Option<OnlineDepotState>> {
        let op = "online_depot_state";
        let row: Option<DepotRecord> = self
            .db
            .fetch_optional(On::Read, select("WHERE id = ?").bind(id.to_string()))
            .await
            .map_err(query_error(op))?;
        let Some(row) = row else { return Ok(None) };
        let rows: Vec<(String, String, i64)> = self
            .db
            .fetch_all(
                On::Read,
                Statement::new(
                    "SELECT path, digest, size FROM online_depot_payloads WHERE depot_id = ? \
                     ORDER BY path",
                )
                .bind(id.to_string()),
            )
            .await
            .map_err(query_error(op))?;
        let d = Decoder::new("online depot payload", id);
        let payloads = rows
            .into_iter()
            .map(|(path, digest, size)| {
                Ok(OnlinePayloadBlob {
                    digest: d.parse("digest", &digest)?,
                    size: d.size("size", size)?,
                    path,
                })
            })
            .collect::<Result<_>>()?;
        row.state(payloads).map(Some)
    }

    async fn record_online_sync(
        &self,
        id: OnlineDepotId,
        content: &OnlineDepotContent,
        cleanup: bool,
    ) -> Result<bool> {
        let op = "record_online_sync";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let update = Statement::new(
            "UPDATE online_depots SET content = ?, identity = ?, synced = ?, attempted = ?, \
             last_error = NULL WHERE id = ?",
        )
        .bind(content.content.as_str())
        .bind(&content.identity)
        .bind(to_millis(content.synced))
        .bind(to_millis(content.synced))
        .bind(id.to_string());
        let found = self
            .db
            .execute(On::Tx(&mut tx), update)
            .await
            .map_err(query_error(op))?;
        if found == 0 {
            tx.rollback().await.map_err(query_error(op))?;
            return Ok(false);
        }
        if cleanup {
            let drop = Statement::new("DELETE FROM online_depot_payloads WHERE depot_id = ?")
                .bind(id.to_string());
            self.db
                .execute(On::Tx(&mut tx), drop)
                .await
                .map_err(query_error(op))?;
        }
        for payload in &content.payloads {
            let upsert = Statement::new(
                "INSERT INTO online_depot_payloads (depot_id, path, digest, size) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (depot_id, path) \
                 DO UPDATE SET digest = excluded.digest, size = excluded.size",
            )
            .bind(id.to_string())
            .bind(payload.path.as_str())
            .bind(&payload.digest)
            .bind(size_value(payload.size));
            self.db
                .execute(On::Tx(&mut tx), upsert)
                .await
                .map_err(query_error(op))?;
        }
        let owner = blob_owner(id);
        for stmt in [
            Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(owner.as_str()),
            Statement::new(
                "INSERT INTO blob_refs (digest, owner) SELECT DISTINCT digest, ? \
                 FROM online_depot_payloads WHERE depot_id = ?",
            )
            .bind(owner.as_str())
            .bind(id.to_string()),
        ] {
            self.db
                .execute(On::Tx(&mut tx), stmt)
                .await
                .map_err(query_error(op))?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(true)
    }

    async fn record_online_sync_failure(
        &self,
        id: OnlineDepotId,
        at: Timestamp,
        error: &str,
    ) -> Result<bool> {
        let stmt =
            Statement::new("UPDATE online_depots SET attempted = ?, last_error = ? WHERE id = ?")
                .bind(to_millis(at))
                .bind(error)
                .bind(id.to_string());
        let changed = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("record_online_sync_failure"))?;
        Ok(changed > 0)
    }
}
