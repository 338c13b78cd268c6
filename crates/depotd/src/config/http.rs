//! `[http]`: how long connections may take over each part of a request, and how many
//! the server holds at once.
//!
//! Every limit is on progress, never on a request's total time: a multi-GiB upload or
//! download may take hours as long as it keeps moving.

use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::values;

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Longest time from accepting a connection to its first complete request head
    /// (TLS handshake included), and from the first byte of a later head to its end.
    #[serde(rename = "header_read_timeout_seconds", with = "values::seconds")]
    pub header_read_timeout: Duration,
    /// Longest time a connection waits for its next request after answering one.
    #[serde(rename = "idle_timeout_seconds", with = "values::seconds")]
    pub idle_timeout: Duration,
    /// Fewest bytes of a request body that must arrive in each window while the server
    /// waits for it; 0 means no minimum.
    pub body_min_rate_bytes: u64,
    /// The window of `body_min_rate_bytes`.
    #[serde(rename = "body_rate_window_seconds", with = "values::seconds")]
    pub body_rate_window: Duration,
    /// Longest time a response waits for the client to take more of it.
    #[serde(rename = "send_timeout_seconds", with = "values::seconds")]
    pub send_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Concurrent streams (requests) per HTTP/2 connection.
    pub max_h2_streams: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_mins(1),
            body_min_rate_bytes: 16 * 1024,
            body_rate_window: Duration::from_secs(30),
            send_timeout: Duration::from_mins(2),
            max_connections: 512,
            max_h2_streams: 100,
        }
    }
}

/// The flags of `[http]`.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct HttpFlags {
    /// Seconds a client has to send a request head (the first one from its connection)
    /// [default: 20].
    #[arg(
        long = "http-header-read-timeout-seconds",
        value_name = "HTTP_HEADER_READ_TIMEOUT_SECONDS",
        env = "DEPOTD_HTTP_HEADER_READ_TIMEOUT_SECONDS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds an idle keep-alive connection is kept [default: 60].
    #[arg(
        long = "http-idle-timeout-seconds",
        value_name = "HTTP_IDLE_TIMEOUT_SECONDS",
        env = "DEPOTD_HTTP_IDLE_TIMEOUT_SECONDS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<u64>,
    /// Fewest request body bytes per window; 0: no minimum [default: 16384].
    #[arg(
        long = "http-body-min-rate-bytes",
        value_name = "HTTP_BODY_MIN_RATE_BYTES",
        env = "DEPOTD_HTTP_BODY_MIN_RATE_BYTES"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_min_rate_bytes: Option<u64>,
    /// Seconds of the request body rate window [default: 30].
    #[arg(
        long = "http-body-rate-window-seconds",
        value_name = "HTTP_BODY_RATE_WINDOW_SECONDS",
        env = "DEPOTD_HTTP_BODY_RATE_WINDOW_SECONDS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_rate_window_seconds: Option<u64>,
    /// Seconds a response waits for the client to read more of it [default: 120].
    #[arg(
        long = "http-send-timeout-seconds",
        value_name = "HTTP_SEND_TIMEOUT_SECONDS",
        env = "DEPOTD_HTTP_SEND_TIMEOUT_SECONDS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_timeout_seconds: Option<u64>,
    /// Connections served at once [default: 512].
    #[arg(
        long = "http-max-connections",
        value_name = "HTTP_MAX_CONNECTIONS",
        env = "DEPOTD_HTTP_MAX_CONNECTIONS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Concurrent streams per HTTP/2 connection [default: 100].
    #[arg(
        long = "http-max-h2-streams",
        value_name = "HTTP_MAX_H2_STREAMS",
        env = "DEPOTD_HTTP_MAX_H2_STREAMS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_h2_streams: Option<u32>,
}

impl HttpConfig {
    /// The first limit that cannot work, named by its key.
    pub(super) fn check(&self) -> Result<(), &'static str> {
        if self.header_read_timeout.is_zero() {
            return Err("http.header_read_timeout_seconds must be positive");
        }
        if self.idle_timeout.is_zero() {
            return Err("http.idle_timeout_seconds must be positive");
        }
        if self.body_rate_window.is_zero() {
            return Err("http.body_rate_window_seconds must be positive");
        }
        if self.send_timeout.is_zero() {
            return Err("http.send_timeout_seconds must be positive");
        }
        if self.max_connections == 0 {
            return Err("http.max_connections must be at least 1");
        }
        if self.max_h2_streams == 0 {
            return Err("http.max_h2_streams must be at least 1");
        }
        Ok(())
    }
}
