//! Localizable messages: a stable id, an English default text and named arguments.

use serde::{Deserialize, Serialize};

/// A message that a client can localize by `id`, or show as `default`.
///
/// Arguments are named and ordered: families with named arguments (fleet-lcm) use the
/// names, families with positional arguments (vSphere) use the values in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Stable message key, e.g. `com.vmware.depotd.task.interrupted`.
    pub id: String,
    /// English text with the arguments already substituted.
    pub default: String,
    /// Named arguments in order.
    #[serde(default)]
    pub args: Vec<(String, String)>,
}

impl Message {
    /// A message without arguments.
    pub fn new(id: impl Into<String>, default: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            default: default.into(),
            args: Vec::new(),
        }
    }

    /// Adds a named argument.
    #[must_use]
    pub fn arg(mut self, name: impl Into<String>, value: impl std::fmt::Display) -> Self {
        self.args.push((name.into(), value.to_string()));
        self
    }

    /// The argument values in order, for positional-argument families.
    pub fn positional_args(&self) -> Vec<String> {
        self.args.iter().map(|(_, v)| v.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_keep_their_order() {
        let m = Message::new("x", "y").arg("b", 2).arg("a", "one");
        assert_eq!(m.positional_args(), vec!["2".to_owned(), "one".to_owned()]);
        assert_eq!(m.args[0].0, "b");
    }
}
