//! [`Statement`]: SQL written once for both backends, with `?` where a value is bound.

use sqlx::QueryBuilder;

use super::{BindValues, SqlValue};

/// A statement and its bound values, in the order of their `?` placeholders.
///
/// The text is the same on every backend; [`render`](Self::render) turns each `?` into
/// the backend's placeholder (`?` on SQLite, `$1`, `$2`, … on PostgreSQL) and binds the
/// values. Values are never inlined, and no statement of ours has a `?` that is not a
/// placeholder.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Statement {
    sql: String,
    values: Vec<SqlValue>,
}

impl Statement {
    /// A statement starting with `sql`; bind a value for each `?` in it with
    /// [`bind`](Self::bind).
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds the value of the next `?`.
    #[must_use]
    pub(crate) fn bind(mut self, value: impl Into<SqlValue>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Appends SQL text (it must hold no `?`: bind values with
    /// [`push_bind`](Self::push_bind)).
    pub(crate) fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    /// Appends a placeholder for `value` and binds it.
    pub(crate) fn push_bind(&mut self, value: impl Into<SqlValue>) -> &mut Self {
        self.sql.push('?');
        self.values.push(value.into());
        self
    }

    /// Appends `other`: its text and its bound values.
    pub(crate) fn append(&mut self, other: Statement) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.values.extend(other.values);
        self
    }

    /// Appends `v1, v2, …` as bound parameters.
    pub(crate) fn push_values(&mut self, values: impl IntoIterator<Item = SqlValue>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self
    }

    /// Appends ` AND column IN (…)` for `values`; nothing when `values` is empty, which
    /// means "no constraint" everywhere this is used.
    pub(crate) fn push_and_in<V>(&mut self, column: &'static str, values: V) -> &mut Self
    where
        V: IntoIterator,
        V::Item: Into<SqlValue>,
    {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return self;
        }
        self.push(" AND ").push(column).push(" IN (");
        self.push_values(values.map(Into::into));
        self.push(")")
    }

    /// The text, with `?` placeholders.
    #[cfg(test)]
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// The statement with `DB`'s placeholders and the values bound; an error (never a
    /// silently unbound parameter) when placeholders and values do not pair up.
    pub(crate) fn render<DB: BindValues>(self) -> sqlx::Result<QueryBuilder<DB>> {
        let placeholders = self.sql.matches('?').count();
        if placeholders != self.values.len() {
            return Err(sqlx::Error::InvalidArgument(format!(
                "{placeholders} placeholders but {} values in {:?}",
                self.values.len(),
                self.sql
            )));
        }
        let mut qb = QueryBuilder::default();
        let mut pieces = self.sql.split('?');
        qb.push(pieces.next().unwrap_or_default());
        for (piece, value) in pieces.zip(self.values) {
            DB::push_value(&mut qb, value);
            qb.push(piece);
        }
        Ok(qb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_in_list_adds_nothing() {
        let mut s = Statement::new("SELECT 1 WHERE TRUE");
        s.push_and_in("status", Vec::<String>::new());
        assert_eq!(s.sql(), "SELECT 1 WHERE TRUE");
        s.push_and_in("status", ["A", "B"]);
        assert_eq!(s.sql(), "SELECT 1 WHERE TRUE AND status IN (?, ?)");
    }

    #[test]
    fn append_keeps_the_order_of_values() {
        let mut s = Statement::new("SELECT 1 WHERE a = ?").bind(1_i64);
        s.append(Statement::new(" AND b = ?").bind("b"));
        assert_eq!(s.sql(), "SELECT 1 WHERE a = ? AND b = ?");
        assert_eq!(s.values, vec![SqlValue::Int(1), SqlValue::Text("b".into())]);
    }

    #[test]
    fn placeholders_and_values_must_pair_up() {
        let missing = Statement::new("SELECT ? + ?").bind(1_i64);
        #[cfg(feature = "sqlite")]
        assert!(matches!(
            missing.clone().render::<sqlx::Sqlite>(),
            Err(sqlx::Error::InvalidArgument(_))
        ));
        #[cfg(feature = "postgres")]
        assert!(matches!(
            missing.render::<sqlx::Postgres>(),
            Err(sqlx::Error::InvalidArgument(_))
        ));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_placeholders_are_numbered() {
        let mut s = Statement::new("SELECT 1 WHERE x = ?").bind("x");
        s.push_and_in("name", ["a", "b"]);
        let qb = s.render::<sqlx::Postgres>().unwrap();
        assert_eq!(
            qb.sql().as_str(),
            "SELECT 1 WHERE x = $1 AND name IN ($2, $3)"
        );
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_placeholders_stay() {
        let s = Statement::new("UPDATE t SET a = ? WHERE b = ?")
            .bind(1_i64)
            .bind("b");
        let qb = s.render::<sqlx::Sqlite>().unwrap();
        assert_eq!(qb.sql().as_str(), "UPDATE t SET a = ? WHERE b = ?");
    }
}
