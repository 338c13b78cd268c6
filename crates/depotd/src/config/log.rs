//! `[log]`: the log filter and format.

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Log filter (`info`, `depotd=debug,info`, …).
    pub level: String,
    /// Text lines or JSON lines.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

/// The flags of `[log]`: every command that loads the configuration takes them.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct LogFlags {
    /// Log filter [default: info].
    #[arg(
        long = "log-level",
        value_name = "LOG_LEVEL",
        env = "DEPOTD_LOG_LEVEL",
        global = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Log format [default: text].
    #[arg(
        long = "log-format",
        value_name = "LOG_FORMAT",
        env = "DEPOTD_LOG_FORMAT",
        global = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<LogFormat>,
}
