//! `[auth]`: how long sessions and tokens live, how many password checks run at once,
//! and which proxies may tell the caller's address.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use depot_http::IpNet;
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
    /// Time after their opening at which sessions and access tokens end, used or not.
    #[serde(rename = "session_max_lifetime_seconds", with = "values::seconds")]
    pub session_max_lifetime: Duration,
    /// Time after their issue at which refresh tokens end, used or not.
    #[serde(rename = "refresh_max_lifetime_seconds", with = "values::seconds")]
    pub refresh_max_lifetime: Duration,
    /// How long a validated session is trusted without asking the database.
    #[serde(rename = "session_cache_seconds", with = "values::seconds")]
    pub session_cache: Duration,
    /// Password hashes computed at once; 0 means one per available core.
    pub max_concurrent_hashes: usize,
    /// Password checks that may wait for a hash; more are refused at once.
    pub max_queued_hashes: usize,
    /// Proxies (addresses or networks) whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_mins(30),
            refresh_idle: Duration::from_hours(24),
            session_max_lifetime: Duration::from_hours(12),
            refresh_max_lifetime: Duration::from_hours(7 * 24),
            session_cache: Duration::from_secs(5),
            max_concurrent_hashes: 0,
            max_queued_hashes: 64,
            trusted_proxies: Vec::new(),
        }
    }
}

impl AuthConfig {
    /// Password hashes computed at once, with 0 resolved to the available cores.
    pub fn hash_concurrency(&self) -> usize {
        match self.max_concurrent_hashes {
            0 => depot_auth::available_cores(),
            n => n,
        }
    }

    /// Checks the section's values.
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        let times = [
            ("session_idle_seconds", self.session_idle),
            ("refresh_idle_seconds", self.refresh_idle),
            ("session_max_lifetime_seconds", self.session_max_lifetime),
            ("refresh_max_lifetime_seconds", self.refresh_max_lifetime),
        ];
        for (key, value) in times {
            if value.is_zero() {
                bail!("auth.{key} must be positive");
            }
        }
        Ok(())
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
    /// Seconds after which sessions and access tokens end, however much they are used
    /// [default: 43200].
    #[arg(long, env = "DEPOTD_SESSION_MAX_LIFETIME_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_max_lifetime_seconds: Option<u64>,
    /// Seconds after which refresh tokens end, however much they are used
    /// [default: 604800].
    #[arg(long, env = "DEPOTD_REFRESH_MAX_LIFETIME_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_max_lifetime_seconds: Option<u64>,
    /// Seconds a validated session is trusted without asking the database [default: 5].
    #[arg(long, env = "DEPOTD_SESSION_CACHE_SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_cache_seconds: Option<u64>,
    /// Password hashes computed at once; 0: one per core [default: 0].
    #[arg(long, env = "DEPOTD_MAX_CONCURRENT_HASHES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_hashes: Option<usize>,
    /// Password checks that may wait for a hash [default: 64].
    #[arg(long, env = "DEPOTD_MAX_QUEUED_HASHES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_queued_hashes: Option<usize>,
    /// A proxy (address or network) whose X-Forwarded-For names the caller
    /// (repeatable; env: comma-separated).
    #[arg(
        long = "trusted-proxy",
        value_name = "TRUSTED_PROXY",
        env = "DEPOTD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<IpNet>,
}
