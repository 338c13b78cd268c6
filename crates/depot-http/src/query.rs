//! Query strings as ordered pairs, with repeated keys for lists ("form" style).

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::Problem;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// Parses a raw query string.
    pub fn parse(raw: &str) -> Self {
        Self(
            form_urlencoded::parse(raw.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The value of the single-valued parameter `name`. Given twice it is refused,
    /// never silently read as its first value (`?action=a&action=b` must not pick one).
    pub fn get(&self, name: &str) -> Result<Option<&str>, Problem> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(Problem::invalid(
                "INVALID_QUERY_PARAMETER",
                format!("Query parameter {name:?} is given more than once"),
            ));
        }
        Ok(first.map(String::as_str))
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of `name` (see [`get`](Self::get)), parsed; a bad value is an error
    /// naming the parameter.
    pub fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, Problem>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)?
            .map(|v| {
                v.parse::<T>().map_err(|e| {
                    Problem::invalid(
                        "INVALID_QUERY_PARAMETER",
                        format!("Query parameter {name}={v:?} is invalid: {e}"),
                    )
                })
            })
            .transpose()
    }

    /// Fails when a parameter outside `known` is present.
    pub fn only(&self, known: &[&str]) -> Result<(), Problem> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(Problem::invalid(
                "INVALID_QUERY_PARAMETER",
                format!("Unknown query parameter {k:?}"),
            )),
            None => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_parsing() {
        let q =
            QueryPairs::parse("status=RUNNING&status=FAILED&pageSize=5&t=2025-01-01T00:00:00.000Z");
        assert_eq!(q.all("status"), vec!["RUNNING", "FAILED"]);
        assert_eq!(q.parsed::<u32>("pageSize").unwrap(), Some(5));
        assert_eq!(q.get("t").unwrap(), Some("2025-01-01T00:00:00.000Z"));
        assert_eq!(q.get("absent").unwrap(), None);
        let e = q.get("status").unwrap_err();
        assert!(e.message.default.contains("more than once"), "{e}");
        assert!(
            QueryPairs::parse("pageSize=1&pageSize=2")
                .parsed::<u32>("pageSize")
                .is_err()
        );
        assert!(
            QueryPairs::parse("pageSize=x")
                .parsed::<u32>("pageSize")
                .is_err()
        );
        assert!(q.only(&["status"]).is_err());
    }
}
