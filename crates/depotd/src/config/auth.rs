//! `[auth]`: how long sessions and tokens live.

use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::values;

/// `[auth]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Idle time after which sessions and access tokens end.
    #[serde(rename = "session_idle_seconds", with = "values::seconds")]
    pub session_idle: Duration,
    /// Idle time after which refresh tokens end.
    #[serde(rename = "refresh_idle_seconds", with = "values::seconds")]
    pub refresh_idle: Duration,
    /// How long a validated session is trusted without asking the database.
    #[serde(rename = "session_cache_seconds", with = "values::seconds")]
    pub session_cache: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_mins(30),
            refresh_idle: Duration::from_hours(24),
            session_cache: Duration::from_secs(5),
        }
    }
}

/// The flags of `[auth]`.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct AuthFlags {
    /// Idle seconds after which sessions and access tokens end [default: 1800].
    #[arg(long, env = "DEPOTD_SESSION_IDLE_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_idle_seconds: Option<u64>,
    /// Idle seconds after which refresh tokens end [default: 86400].
    #[arg(long, env = "DEPOTD_REFRESH_IDLE_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_idle_seconds: Option<u64>,
    /// Seconds a validated session is trusted without asking the database [default: 5].
    #[arg(long, env = "DEPOTD_SESSION_CACHE_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_cache_seconds: Option<u64>,
}
