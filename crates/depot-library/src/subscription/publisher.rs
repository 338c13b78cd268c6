//! [`Publisher`]: a subscribed library's publisher, reached through `depot-upstream`
//! (Basic auth with `vcsp`, a pinned thumbprint or PEM certificate), its documents read
//! with size caps. Content goes through its download engine (`content.rs`).

use std::sync::Arc;
use std::time::Duration;

use depot_blobs::BlobStore;
use depot_model::{ErrorKind, Secret, SubscriptionSettings};
use depot_upstream::{
    DepotAuth, DepotClient, DepotPath, DepotSettings, DownloadSettings, Downloader, FetchOutcome,
    FetchRequest, RateLimit, UpstreamError,
};

use super::href::{resolve, split_subscription_url};
use super::remote::{
    self, MAX_DOCUMENT_BYTES, MAX_ITEMS_BYTES, RemoteItem, RemoteItems, RemoteLibrary,
};
use crate::LibraryError;

/// A subscribed library's publisher.
pub struct Publisher {
    client: DepotClient,
    downloader: Downloader,
    root: String,
    library_document: String,
    blobs: Arc<dyn BlobStore>,
}

/// Why a document could not be read: gone (404) or any other failure.
pub enum Missing {
    /// The publisher answered 404 or 410.
    Gone,
    /// Anything else.
    Failed(LibraryError),
}

impl From<LibraryError> for Missing {
    fn from(e: LibraryError) -> Self {
        Missing::Failed(e)
    }
}

impl Publisher {
    /// The publisher of `settings`, with its Basic `password` (opened by the caller).
    pub fn new(
        settings: &SubscriptionSettings,
        password: Option<Secret>,
        blobs: Arc<dyn BlobStore>,
    ) -> Result<Self, LibraryError> {
        let (root, library_document) = split_subscription_url(&settings.url)?;
        let mut upstream = DepotSettings::new(root.clone());
        upstream.retry.max_retries = 2;
        upstream.retry.initial_backoff = Duration::from_millis(300);
        upstream.timeouts.connect = Duration::from_secs(15);
        upstream.probe_path.clone_from(&library_document);
        if let Some(password) = password {
            upstream.auth = DepotAuth::Basic {
                username: settings
                    .user_name
                    .clone()
                    .unwrap_or_else(|| crate::VCSP_USER.to_owned()),
                password,
            };
        }
        if let Some(pin) = &settings.ssl_thumbprint {
            upstream.pinned_thumbprint = Some(pin.parse().map_err(|e| {
                LibraryError::Invalid(format!("subscription_info.ssl_thumbprint {pin:?}: {e}"))
            })?);
        }
        if let Some(pem) = &settings.ssl_certificate {
            upstream.trusted_certificates = vec![pem.clone()];
        }
        let client = DepotClient::new(&upstream)
            .map_err(|e| LibraryError::Invalid(format!("subscription_info: {e}")))?;
        let downloader = Downloader::new(client.clone(), DownloadSettings::default());
        Ok(Self {
            client,
            downloader,
            root,
            library_document,
            blobs,
        })
    }

    /// The path below the library root that `href` names (refused when it leaves it).
    pub fn resolve(&self, href: &str) -> Result<DepotPath, LibraryError> {
        resolve(&self.root, href)
    }

    /// Reads a document of at most `max` bytes (through the blob store, which checks
    /// the cap while streaming; the unreferenced blob is collected later).
    async fn document(&self, path: &DepotPath, max: u64) -> Result<Vec<u8>, Missing> {
        let request = FetchRequest {
            max_size: Some(max),
            ..FetchRequest::default()
        };
        let fetched = match self.client.fetch(self.blobs.as_ref(), path, &request).await {
            Ok(FetchOutcome::Fetched(f)) => f.blob,
            Ok(FetchOutcome::NotModified(_)) => {
                return Err(failed(path, &"it answered 304 to an unconditional GET").into());
            }
            Err(UpstreamError::FileNotFound { .. }) => return Err(Missing::Gone),
            Err(e) => return Err(fetch_failed(path, &e).into()),
        };
        self.blobs
            .read_all(&fetched.digest, max)
            .await
            .map_err(|e| Missing::Failed(e.into()))
    }

    /// `lib.json`.
    pub async fn library(&self) -> Result<RemoteLibrary, LibraryError> {
        let path = DepotPath::parse(&self.library_document).map_err(|e| failed_text(&e))?;
        match self.document(&path, MAX_DOCUMENT_BYTES).await {
            Ok(bytes) => remote::library(&bytes),
            Err(Missing::Gone) => Err(failed(&path, &"it has no such library (404)")),
            Err(Missing::Failed(e)) => Err(e),
        }
    }

    /// `items.json` of `library`.
    pub async fn items(&self, library: &RemoteLibrary) -> Result<RemoteItems, LibraryError> {
        let path = self.resolve(&library.items_href)?;
        match self.document(&path, MAX_ITEMS_BYTES).await {
            Ok(bytes) => remote::items(&bytes),
            Err(Missing::Gone) => Err(failed(&path, &"it has no items.json (404)")),
            Err(Missing::Failed(e)) => Err(e),
        }
    }

    /// The `item.json` at `href`.
    pub async fn item(&self, href: &str) -> Result<RemoteItem, Missing> {
        let path = self.resolve(href)?;
        let bytes = self.document(&path, MAX_DOCUMENT_BYTES).await?;
        Ok(remote::item(&bytes)?)
    }

    /// Whether the subscription is usable: `lib.json` is reachable with these
    /// credentials and certificate and is a VCSP library (`ResourceInaccessible` with
    /// why, otherwise).
    pub async fn check(&self) -> Result<RemoteLibrary, LibraryError> {
        self.library()
            .await
            .map_err(|e| LibraryError::ResourceInaccessible(e.to_string()))
    }

    /// Downloads content `settings.parallel` files at a time, within the per-sync limit
    /// of `settings` and the `overall` limit shared with other syncs.
    #[must_use]
    pub fn with_downloads(
        mut self,
        settings: DownloadSettings,
        overall: Option<Arc<RateLimit>>,
    ) -> Self {
        let downloader = Downloader::new(self.client.clone(), settings);
        self.downloader = match overall {
            Some(limit) => downloader.with_overall_limit(limit),
            None => downloader,
        };
        self
    }

    /// The download engine content goes through (same client: TLS trust, proxy,
    /// credentials, retries).
    pub(crate) fn downloader(&self) -> &Downloader {
        &self.downloader
    }

    /// The blob store content goes to.
    pub(crate) fn blobs(&self) -> &dyn BlobStore {
        self.blobs.as_ref()
    }

    /// The upstream client (for the connection check).
    pub fn client(&self) -> &DepotClient {
        &self.client
    }
}

pub(crate) fn failed(path: &DepotPath, why: &dyn std::fmt::Display) -> LibraryError {
    LibraryError::SyncFailed(format!(
        "fetching {} from the publisher failed: {why}",
        path.as_str()
    ))
}

/// A fetch from the publisher that failed: [`LibraryError::Unavailable`] when what
/// failed is only unavailable for now (the publisher's server unreachable, overloaded
/// or cut off, the blob store away), else [`LibraryError::SyncFailed`].
pub(crate) fn fetch_failed(path: &DepotPath, e: &UpstreamError) -> LibraryError {
    match failed(path, e) {
        LibraryError::SyncFailed(text) if e.kind() == ErrorKind::Unavailable => {
            LibraryError::Unavailable(text)
        }
        other => other,
    }
}

fn failed_text(why: &dyn std::fmt::Display) -> LibraryError {
    LibraryError::SyncFailed(format!("the subscription URL is not usable: {why}"))
}
