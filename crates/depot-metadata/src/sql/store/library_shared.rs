//! What the content-library stores share: client-token lookups, the insert of a row
//! with its token, the blob-reference owners and keeping their references equal to the
//! digests their rows name.

use std::fmt::Display;
use std::str::FromStr;

use depot_model::ClientToken;
use sqlx::Transaction;

use crate::sql::column::Decoder;
use crate::sql::{Backend, On, SqlValue, Statement, query_error, unique_violation};
use crate::{MetadataError, Result};

/// The blob-reference owner of an item's files.
pub(super) fn item_owner(id: impl Display) -> String {
    format!("library-item:{id}")
}

/// The blob-reference owner of an update session's uploads.
pub(super) fn update_session_owner(id: impl Display) -> String {
    format!("update-session:{id}")
}

/// The blob-reference owner of a download session's prepared files.
pub(super) fn download_session_owner(id: impl Display) -> String {
    format!("download-session:{id}")
}

/// `INSERT INTO table (columns, client_token_user, client_token) VALUES (…)`.
pub(super) fn insert_with_token(
    table: &'static str,
    columns: &'static str,
    values: Vec<SqlValue>,
    token: Option<&ClientToken>,
) -> Statement {
    let mut stmt = Statement::new(format!(
        "INSERT INTO {table} ({columns}, client_token_user, client_token) VALUES ("
    ));
    stmt.push_values(values.into_iter().chain([
        token.map(|t| t.user().to_owned()).into(),
        token.map(|t| t.token().to_owned()).into(),
    ]));
    stmt.push(")");
    stmt
}

/// The id of the row of `table` created with `token`, if there is one.
pub(super) async fn created_with<B: Backend, I>(
    db: &B,
    table: &'static str,
    token: Option<&ClientToken>,
    op: &'static str,
) -> Result<Option<I>>
where
    I: FromStr,
    I::Err: Display,
{
    let Some(token) = token else {
        return Ok(None);
    };
    let stmt = Statement::new(format!(
        "SELECT id FROM {table} WHERE client_token_user = ? AND client_token = ?"
    ))
    .bind(token.user())
    .bind(token.token());
    let row: Option<(String,)> = db
        .fetch_optional(On::Write, stmt)
        .await
        .map_err(query_error(op))?;
    row.map(|(id,)| Decoder::new(table, &id).parse("id", &id))
        .transpose()
}

/// Makes the references of `owner` exactly the distinct digests of the rows of
/// `table` whose `key_column` is `key`, inside `tx`.
pub(super) async fn sync_blob_refs<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    owner: &str,
    (table, key_column, key): (&'static str, &'static str, &str),
    op: &'static str,
) -> Result<()> {
    let drop = Statement::new(format!(
        "DELETE FROM blob_refs WHERE owner = ? AND digest NOT IN \
         (SELECT digest FROM {table} WHERE {key_column} = ? AND digest IS NOT NULL)"
    ))
    .bind(owner)
    .bind(key);
    let add = Statement::new(format!(
        "INSERT INTO blob_refs (digest, owner) SELECT DISTINCT digest, ? FROM {table} \
         WHERE {key_column} = ? AND digest IS NOT NULL ON CONFLICT DO NOTHING"
    ))
    .bind(owner)
    .bind(key);
    for stmt in [drop, add] {
        db.execute(On::Tx(&mut *tx), stmt)
            .await
            .map_err(query_error(op))?;
    }
    Ok(())
}

/// Drops every reference of `owner`, inside `tx`.
pub(super) async fn drop_blob_refs<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    owner: &str,
    op: &'static str,
) -> Result<()> {
    let stmt = Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(owner);
    db.execute(On::Tx(tx), stmt)
        .await
        .map_err(query_error(op))?;
    Ok(())
}

/// The references of every item, update session and download session under the items
/// `items` selects (a `SELECT id FROM library_items …` with one `?` bound to `key`),
/// and how many of their update sessions are active: what deleting them must check and
/// drop.
pub(super) struct ItemScope<'a> {
    /// Selects the ids of the items, with one `?`.
    pub items: &'static str,
    /// The value of that `?`.
    pub key: &'a str,
}

impl ItemScope<'_> {
    /// Locks the items' rows (PostgreSQL) so that no session opens on them meanwhile.
    pub(super) async fn lock<B: Backend>(
        &self,
        db: &B,
        tx: &mut Transaction<'static, B::Db>,
        op: &'static str,
    ) -> Result<()> {
        let lock = B::DIALECT.lock_row();
        if lock.is_empty() {
            return Ok(());
        }
        let mut stmt = Statement::new(self.items).bind(self.key);
        stmt.push(lock);
        let _: Vec<(String,)> = db
            .fetch_all(On::Tx(tx), stmt)
            .await
            .map_err(query_error(op))?;
        Ok(())
    }

    /// How many update sessions of the items are active.
    pub(super) async fn active_sessions<B: Backend>(
        &self,
        db: &B,
        tx: &mut Transaction<'static, B::Db>,
        op: &'static str,
    ) -> Result<u64> {
        let stmt = Statement::new(format!(
            "SELECT COUNT(*) FROM update_sessions WHERE state = 'ACTIVE' AND item_id IN ({})",
            self.items
        ))
        .bind(self.key);
        let count: Option<(i64,)> = db
            .fetch_optional(On::Tx(tx), stmt)
            .await
            .map_err(query_error(op))?;
        Ok(count.map_or(0, |(n,)| u64::try_from(n).unwrap_or(0)))
    }

    /// Drops the blob references of the items and of all their sessions.
    pub(super) async fn drop_blob_refs<B: Backend>(
        &self,
        db: &B,
        tx: &mut Transaction<'static, B::Db>,
        op: &'static str,
    ) -> Result<()> {
        let items = self.items;
        let owners = [
            format!("SELECT 'library-item:' || id FROM library_items WHERE id IN ({items})"),
            format!(
                "SELECT 'update-session:' || id FROM update_sessions WHERE item_id IN ({items})"
            ),
            format!(
                "SELECT 'download-session:' || id FROM download_sessions \
                 WHERE item_id IN ({items})"
            ),
        ];
        for owners in owners {
            let stmt = Statement::new(format!("DELETE FROM blob_refs WHERE owner IN ({owners})"))
                .bind(self.key);
            db.execute(On::Tx(&mut *tx), stmt)
                .await
                .map_err(query_error(op))?;
        }
        Ok(())
    }
}

/// Why a create transaction failed.
pub(super) enum CreateFailure {
    /// A unique key was taken: by a concurrent create with the same client token, or
    /// by the key this error names.
    Unique(sqlx::Error),
    /// Anything else.
    Fail(MetadataError),
}

impl From<MetadataError> for CreateFailure {
    fn from(e: MetadataError) -> Self {
        CreateFailure::Fail(e)
    }
}

impl CreateFailure {
    /// Classifies the error of statement `op`.
    pub(super) fn of(op: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |e| {
            if unique_violation(&e).is_some() {
                CreateFailure::Unique(e)
            } else {
                CreateFailure::Fail(query_error(op)(e))
            }
        }
    }
}
