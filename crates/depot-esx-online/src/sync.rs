//! Syncing the enabled online depots (`com.vmware.esx.settings.depots` `sync$task`):
//! for each, its metadata first (every document fetched, capped and parsed; any failure
//! leaves the previous content as it was), then every VIB payload through the download
//! engine (parallel, resumed after a broken connection, size and declared checksum
//! checked while streaming: SHA-256 as the blob's expected digest, SHA-1 as a declared
//! checksum), and only then the new content, payload rows and blob references in one
//! store transaction.

use std::collections::BTreeMap;
use std::time::Duration;

use depot_blobs::{Checksum, ChecksumAlgorithm};
use depot_esx::{
    DeclaredChecksum, EntryName, EsxDepot, OnlinePayload, online_payloads, read_online_depot,
    set_payload_digests,
};
use depot_model::{OnlineDepot, OnlineDepotContent, OnlinePayloadBlob};
use depot_upstream::{
    DepotClient, DepotPath, DepotSettings, DownloadProgress, DownloadRequest, DownloadSource,
    Downloader,
};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::documents::HttpDocuments;
use crate::{DepotLocation, OnlineDepotError, OnlineDepots};

/// What a sync of all depots did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Depots synced.
    pub depots: usize,
    /// Payloads downloaded (not already in the store).
    pub downloaded: usize,
    /// Their bytes.
    pub downloaded_bytes: u64,
}

impl OnlineDepots {
    /// Syncs every enabled depot, one after the other, publishing each one's download
    /// progress on `progress`. Every depot is tried; the first failure is returned
    /// after all were (a failed depot keeps its previous content).
    #[tracing::instrument(skip_all, fields(cleanup))]
    pub async fn sync_all(
        &self,
        cleanup: bool,
        progress: &watch::Sender<DownloadProgress>,
    ) -> Result<SyncReport, OnlineDepotError> {
        let mut report = SyncReport::default();
        let mut first_error = None;
        for depot in self.list().await?.into_iter().filter(|d| d.enabled) {
            match self.sync_one(&depot, cleanup, progress).await {
                Ok((files, bytes)) => {
                    report.depots += 1;
                    report.downloaded += files;
                    report.downloaded_bytes += bytes;
                }
                Err(e) => {
                    warn!(depot = %depot.id, error = %e, "online depot sync failed");
                    let now = self.inner.clock.now();
                    self.inner
                        .store
                        .record_online_sync_failure(depot.id, now, &e.to_string())
                        .await?;
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(report), Err)
    }

    /// One depot: metadata, payloads, then the record. Payloads downloaded and bytes.
    async fn sync_one(
        &self,
        depot: &OnlineDepot,
        cleanup: bool,
        progress: &watch::Sender<DownloadProgress>,
    ) -> Result<(usize, u64), OnlineDepotError> {
        let location = DepotLocation::parse(&depot.location)?;
        let client = self.client(&depot.location, &location)?;
        let mut model = self
            .read_metadata(client.clone(), &location, &depot.location)
            .await?;
        let payloads = online_payloads(&model).map_err(|source| OnlineDepotError::Metadata {
            location: depot.location.clone(),
            source,
        })?;
        let requests = payloads
            .iter()
            .map(|p| request(p, &depot.location))
            .collect::<Result<Vec<_>, _>>()?;
        let downloader = Downloader::new(client, self.inner.settings.download);
        let results = downloader
            .download_reporting(self.inner.blobs.as_ref(), &requests, progress)
            .await;
        let mut digests = BTreeMap::new();
        let mut blobs = Vec::with_capacity(payloads.len());
        let (mut files, mut bytes) = (0, 0);
        for (payload, result) in payloads.iter().zip(results) {
            let done = result.map_err(|source| OnlineDepotError::Payload {
                location: depot.location.clone(),
                path: payload.path.to_string(),
                source,
            })?;
            if done.attempts > 0 {
                files += 1;
                bytes += done.blob.size;
            }
            digests.insert(payload.path.clone(), done.blob.digest);
            blobs.push(OnlinePayloadBlob {
                path: payload.path.to_string(),
                digest: done.blob.digest,
                size: done.blob.size,
            });
        }
        set_payload_digests(&mut model, &digests);
        let content = serde_json::to_string(&model.content())
            .map_err(|e| OnlineDepotError::Internal(format!("the content view: {e}")))?;
        let record = OnlineDepotContent {
            content,
            identity: model.identity.0,
            synced: self.inner.clock.now(),
            payloads: blobs,
        };
        self.inner
            .store
            .record_online_sync(depot.id, &record, cleanup)
            .await?;
        info!(depot = %depot.id, files, bytes, "online depot synced");
        Ok((files, bytes))
    }

    /// The client of a depot: the configured trust and proxy, a few quick retries.
    fn client(
        &self,
        shown: &str,
        location: &DepotLocation,
    ) -> Result<DepotClient, OnlineDepotError> {
        let settings = &self.inner.settings;
        let mut upstream = DepotSettings::new(location.root.clone());
        upstream.retry.max_retries = 2;
        upstream.retry.initial_backoff = Duration::from_millis(300);
        upstream.timeouts.connect = Duration::from_secs(15);
        upstream.probe_path = location.index.to_string();
        upstream
            .trusted_certificates
            .clone_from(&settings.trusted_certificates);
        upstream.proxy_url.clone_from(&settings.proxy_url);
        DepotClient::new(&upstream).map_err(|source| OnlineDepotError::Client {
            location: shown.to_owned(),
            source,
        })
    }

    /// The depot's metadata, read on a blocking thread (zips and XML are parsed there).
    async fn read_metadata(
        &self,
        client: DepotClient,
        location: &DepotLocation,
        shown: &str,
    ) -> Result<EsxDepot, OnlineDepotError> {
        let mut documents = HttpDocuments {
            client,
            blobs: self.inner.blobs.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        let index: EntryName = location.index.clone();
        let limits = self.inner.settings.limits;
        let read =
            tokio::task::spawn_blocking(move || read_online_depot(&mut documents, &index, &limits))
                .await
                .map_err(|e| OnlineDepotError::Internal(e.to_string()))?;
        read.map_err(|source| OnlineDepotError::Metadata {
            location: shown.to_owned(),
            source,
        })
    }
}

/// The download of one payload: its path, exact size, and declared checksum.
fn request(payload: &OnlinePayload, shown: &str) -> Result<DownloadRequest, OnlineDepotError> {
    let path =
        DepotPath::parse(payload.path.as_str()).map_err(|source| OnlineDepotError::Client {
            location: shown.to_owned(),
            source,
        })?;
    let mut request = DownloadRequest::new(DownloadSource::Path(path));
    request.size = Some(payload.size);
    request.max_size = Some(payload.size);
    match &payload.declared {
        DeclaredChecksum::Sha256(digest) => request.sha256 = Some(*digest),
        DeclaredChecksum::Sha1(hex) => {
            let checksum = Checksum::from_hex(ChecksumAlgorithm::Sha1, hex).map_err(|e| {
                OnlineDepotError::Invalid(format!(
                    "the VIB payload {} declares a bad sha-1: {e}",
                    payload.path
                ))
            })?;
            request.checksum = Some(checksum);
        }
    }
    Ok(request)
}
