//! The layering itself: the file and the flags are TOML tables, merged key by key over
//! each other, and the result is read into [`Config`], whose `#[serde(default)]`s are
//! the bottom layer.
//!
//! Written here rather than with a layered-configuration crate: these thirty lines
//! avoid a second `toml` major version and a proc-macro crate in the build.

use std::path::Path;

use anyhow::{Context, anyhow};
use serde::Serialize;
use toml::Table;

use super::Config;

/// Reads `file` (if any), puts `flags` over it and reads the result.
pub(super) fn merge(file: Option<&Path>, flags: &impl Serialize) -> anyhow::Result<Config> {
    let mut table = match file {
        Some(path) => read_file(path)?,
        None => Table::new(),
    };
    let flags = Table::try_from(flags).context("command-line flags")?;
    overlay(&mut table, flags);
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        anyhow!(
            "{}: {} (from a command-line flag or DEPOTD_* variable)",
            e.path(),
            e.inner()
        )
    })
}

/// The file as a table, after reading it once as a [`Config`] on its own, so that an
/// unknown key or a bad value is reported with the file's name, line and key.
fn read_file(path: &Path) -> anyhow::Result<Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let context = || format!("config file {}", path.display());
    toml::from_str::<Config>(&text).with_context(context)?;
    toml::from_str(&text).with_context(context)
}

/// Writes every key of `upper` over `lower`; tables are merged, other values replaced.
fn overlay(lower: &mut Table, upper: Table) {
    for (key, value) in upper {
        match (lower.get_mut(&key), value) {
            (Some(toml::Value::Table(below)), toml::Value::Table(above)) => overlay(below, above),
            (_, value) => {
                lower.insert(key, value);
            }
        }
    }
}
