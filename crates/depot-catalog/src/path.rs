//! [`JsonPath`]: where in a catalog file a problem is.

use std::fmt;

/// A location inside a JSON document in JSONPath notation, such as
/// `$.patches.VCENTER[0].artifacts.bundles[1].binaries[0].checksum`.
///
/// Keys that are not plain identifiers are written in brackets as JSON strings
/// (`$.patches[""]`, `$.patches["A B"]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath(String);

impl JsonPath {
    /// The document root, `$`.
    pub fn root() -> Self {
        Self("$".to_owned())
    }

    /// This path extended by an object key.
    #[must_use]
    pub fn key(mut self, key: &str) -> Self {
        let plain = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            self.0.push('.');
            self.0.push_str(key);
        } else {
            self.0.push('[');
            // A `String` always serializes; the fallback is never used.
            self.0
                .push_str(&serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}")));
            self.0.push(']');
        }
        self
    }

    /// This path extended by an array index.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        use fmt::Write as _;
        let _ = write!(self.0, "[{index}]");
        self
    }

    /// This path extended by the path serde tracked inside a nested value.
    #[must_use]
    pub(crate) fn join(mut self, inner: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        for segment in inner {
            self = match segment {
                Segment::Seq { index } => self.index(*index),
                Segment::Map { key } => self.key(key),
                Segment::Enum { variant } => self.key(variant),
                Segment::Unknown => self.key("?"),
            };
        }
        self
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_dotted_and_bracketed_paths() {
        let path = JsonPath::root()
            .key("patches")
            .key("VCENTER")
            .index(0)
            .key("checksum");
        assert_eq!(path.as_str(), "$.patches.VCENTER[0].checksum");
        assert_eq!(JsonPath::root().key("").as_str(), r#"$[""]"#);
        assert_eq!(JsonPath::root().key("A B").as_str(), r#"$["A B"]"#);
        assert_eq!(JsonPath::root().key("9x").as_str(), r#"$["9x"]"#);
    }
}
