//! [`DepotSettings`]: the plain settings a [`DepotClient`](crate::DepotClient) is built from.
//!
//! Everything here is unvalidated input (strings as stored or configured);
//! [`DepotClient::new`](crate::DepotClient::new) parses it once and names what is wrong.

use crate::pin::Thumbprint;
use std::time::Duration;

use depot_model::Secret;

/// The probe path the depot settings check fetches by default: the Product Version Catalog
/// of a VCF depot, relative to the depot's base URL.
pub const DEFAULT_PROBE_PATH: &str =
    "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json";

/// The default path template for download-token authentication: the token is the first
/// path segment (the Broadcom online depot: `https://dl.broadcom.com/<token>/PROD/...`).
pub const DEFAULT_TOKEN_PATH_TEMPLATE: &str = "{token}/{path}";

/// How to reach one upstream depot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotSettings {
    /// The depot's base URL, `https://…` (or `http://…` when the URL says so). Every
    /// relative path is appended to its path; it must not carry credentials, a query or a
    /// fragment.
    pub base_url: String,
    /// How requests authenticate.
    pub auth: DepotAuth,
    /// PEM certificates (each string may hold a chain). When not empty, these are the
    /// **only** trust anchors; when empty, the platform's roots are used.
    pub trusted_certificates: Vec<String>,
    /// The one server certificate to accept, by thumbprint (vSphere's `ssl_thumbprint`):
    /// when set, it replaces path validation and `trusted_certificates` are not used.
    pub pinned_thumbprint: Option<Thumbprint>,
    /// An HTTP(S) proxy for all requests, e.g. `http://proxy.example.com:3128` (it may carry
    /// `user:password@`). `None`: connect directly (the environment is never consulted).
    pub proxy_url: Option<String>,
    /// Connection, read and total timeouts.
    pub timeouts: Timeouts,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// Size cap for one downloaded file, unless a fetch sets its own.
    pub max_file_size: u64,
    /// The relative path [`test_connection`](crate::DepotClient::test_connection) fetches.
    pub probe_path: String,
}

impl DepotSettings {
    /// Settings for `base_url` with no authentication and the defaults for everything else.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            auth: DepotAuth::None,
            trusted_certificates: Vec::new(),
            pinned_thumbprint: None,
            proxy_url: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent: concat!("depotd/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_file_size: 64 << 30,
            probe_path: DEFAULT_PROBE_PATH.to_owned(),
        }
    }
}

/// How requests to the depot authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepotAuth {
    /// No authentication (e.g. an offline depot on a plain web server).
    None,
    /// HTTP Basic authentication (offline depots).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// One request header carrying the credential (an ESX offline depot's
    /// `authentication_spec` `HEADER_AUTH`, e.g. `Authorization: Bearer …`).
    Header {
        /// The header's name.
        name: String,
        /// The header's value.
        value: Secret,
    },
    /// A download token placed into the URL path (online depots).
    DownloadToken {
        /// The token.
        token: Secret,
        /// Where the token and the relative path go, relative to the base URL's path, e.g.
        /// [`DEFAULT_TOKEN_PATH_TEMPLATE`]; see [`PathTemplate`](crate::PathTemplate).
        path_template: String,
    },
}

/// Timeouts for depot requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For establishing a connection (TCP and TLS).
    pub connect: Duration,
    /// For each read: a response (headers or body) that sends nothing for this long fails.
    pub read: Duration,
    /// For a whole request including its body. `None`: no limit, which suits large
    /// downloads (the read timeout still catches stalled ones).
    pub request: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            read: Duration::from_mins(1),
            request: None,
        }
    }
}

/// When and how often failed requests are retried.
///
/// Connection failures, timeouts, cut-off bodies, HTTP 408, 429 and 5xx are retried; other
/// 4xx answers, unknown hosts and untrusted certificates are not. A `fetch` retry starts
/// over; a [`Downloader`](crate::Downloader) retry continues a broken download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: try once).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// Upper bound of the wait between attempts.
    pub max_backoff: Duration,
    /// The longest `Retry-After` (429/503) that is honoured; a server asking for a longer
    /// wait fails the request at once, saying so.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_mins(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) when the server gave no `Retry-After`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let waits: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        assert_eq!(policy.backoff(200), Duration::from_millis(500));
    }

    #[test]
    fn debug_of_settings_hides_secrets() {
        let mut settings = DepotSettings::new("https://depot.example.com");
        settings.auth = DepotAuth::DownloadToken {
            token: Secret::new("tok-abc"),
            path_template: DEFAULT_TOKEN_PATH_TEMPLATE.to_owned(),
        };
        assert!(!format!("{settings:?}").contains("tok-abc"));
        settings.auth = DepotAuth::Basic {
            username: "u".to_owned(),
            password: Secret::new("pw-xyz"),
        };
        assert!(!format!("{settings:?}").contains("pw-xyz"));
    }
}
