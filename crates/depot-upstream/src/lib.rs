#![doc = include_str!("../README.md")]

mod body;
mod classify;
mod client;
mod dns;
mod download;
mod error;
mod fetch;
mod location;
mod peer;
mod pin;
mod probe;
mod settings;

pub use crate::client::DepotClient;
pub use crate::download::{
    DownloadProgress, DownloadRequest, DownloadSettings, DownloadSource, Downloaded, Downloader,
    RateLimit,
};
pub use crate::error::{Unavailable, UpstreamError};
pub use crate::fetch::{Conditional, FetchOutcome, FetchRequest, Fetched, Validators};
pub use crate::location::{DepotPath, PathTemplate};
pub use crate::peer::PeerCertificate;
pub use crate::pin::{InvalidThumbprint, Thumbprint, ThumbprintAlgorithm};
pub use crate::probe::{ConnectionCode, ConnectionStatus};
pub use crate::settings::{
    DEFAULT_PROBE_PATH, DEFAULT_TOKEN_PATH_TEMPLATE, DepotAuth, DepotSettings, RetryPolicy,
    Timeouts,
};
pub use depot_model::Secret;
