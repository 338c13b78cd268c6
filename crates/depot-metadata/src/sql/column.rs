//! Decoding and encoding the column values of the content-library records: one
//! [`Decoder`] per row names the record in every `Corrupt` error it returns.

use std::fmt::Display;
use std::str::FromStr;

use depot_model::{Sha256Digest, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{from_millis, from_millis_opt, parse_digest};
use crate::{MetadataError, Result};

/// Decodes the columns of one stored row of kind `what` with key `key`.
pub(crate) struct Decoder {
    what: &'static str,
    key: String,
}

impl Decoder {
    /// A decoder for the row of kind `what` keyed `key` (for error messages).
    pub(crate) fn new(what: &'static str, key: impl Display) -> Self {
        Self {
            what,
            key: key.to_string(),
        }
    }

    /// The error for a `column` that does not decode.
    pub(crate) fn corrupt(&self, column: &str, detail: impl Display) -> MetadataError {
        MetadataError::Corrupt {
            what: self.what,
            detail: format!("{}: {column}: {detail}", self.key),
        }
    }

    /// An id (or anything else parsed from text).
    pub(crate) fn parse<T>(&self, column: &str, text: &str) -> Result<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        text.parse().map_err(|e| self.corrupt(column, e))
    }

    /// An enum stored by name, read back with its `parse`.
    pub(crate) fn named<T>(
        &self,
        column: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T> {
        parse(text).ok_or_else(|| self.corrupt(column, format!("unknown value {text:?}")))
    }

    /// A value stored as serde_json text.
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| self.corrupt(column, e))
    }

    /// A nullable value stored as serde_json text.
    pub(crate) fn json_opt<T: DeserializeOwned>(
        &self,
        column: &str,
        text: Option<&str>,
    ) -> Result<Option<T>> {
        text.map(|t| self.json(column, t)).transpose()
    }

    /// A size or count: never negative.
    pub(crate) fn size(&self, column: &str, value: i64) -> Result<u64> {
        u64::try_from(value).map_err(|e| self.corrupt(column, e))
    }

    /// A percentage, 0–100.
    pub(crate) fn percent(&self, column: &str, value: i64) -> Result<u8> {
        u8::try_from(value)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| self.corrupt(column, format!("{value} is not a percentage")))
    }

    /// An instant in Unix milliseconds.
    pub(crate) fn time(&self, column: &str, ms: i64) -> Result<Timestamp> {
        from_millis(ms, self.what, column)
    }

    /// A nullable instant in Unix milliseconds.
    pub(crate) fn time_opt(&self, column: &str, ms: Option<i64>) -> Result<Option<Timestamp>> {
        from_millis_opt(ms, self.what, column)
    }

    /// A nullable digest.
    pub(crate) fn digest_opt(
        &self,
        column: &str,
        text: Option<&str>,
    ) -> Result<Option<Sha256Digest>> {
        text.map(|t| parse_digest(t, self.what, column)).transpose()
    }
}

/// The serde_json text of `value` stored by store method `op`.
pub(crate) fn json_text<T: Serialize>(value: &T, op: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| MetadataError::Query {
        op,
        source: Box::new(e),
    })
}

/// The serde_json text of an optional `value`.
pub(crate) fn json_text_opt<T: Serialize>(
    value: Option<&T>,
    op: &'static str,
) -> Result<Option<String>> {
    value.map(|v| json_text(v, op)).transpose()
}

/// A size as stored: sizes past `i64::MAX` do not exist, so it clamps.
pub(crate) fn size_value(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_columns_are_corrupt_and_name_the_row() {
        let d = Decoder::new("library", "lib-1");
        let err = d.size("size", -1).unwrap_err();
        assert!(err.to_string().contains("lib-1: size"), "{err}");
        assert!(d.percent("client_progress", 101).is_err());
        assert_eq!(d.percent("client_progress", 100).unwrap(), 100);
        assert!(
            d.named("kind", "NOPE", depot_model::LibraryKind::parse)
                .is_err()
        );
        assert!(
            d.json::<depot_model::StorageBacking>("storage", "{")
                .is_err()
        );
        assert_eq!(size_value(u64::MAX), i64::MAX);
    }
}
