//! The bundle of an import as a local, seekable file: the uploaded blob, a file under
//! the import directory, or a download into the blob store.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use depot_model::{FileId, Sha256Digest, UploadedFile};
use depot_upstream::{
    DepotAuth, DepotClient, DepotSettings, DownloadProgress, DownloadRequest, DownloadSettings,
    DownloadSource, Downloader,
};
use sha2::Digest as _;
use tokio::sync::watch;

use crate::create::HEADER_FIELD;
use crate::{EsxDepotError, EsxDepots};

/// A bundle ready to parse, and the SHA-256 of its bytes.
pub(crate) struct BundleFile {
    pub(crate) file: std::fs::File,
    pub(crate) digest: Sha256Digest,
    /// Whether it was downloaded by this import (which then took part of its time).
    pub(crate) downloaded: bool,
}

impl EsxDepots {
    /// The uploaded file `id` (still unused) and its content as a file.
    pub(crate) async fn uploaded_bundle(
        &self,
        id: FileId,
    ) -> Result<(BundleFile, UploadedFile), EsxDepotError> {
        let upload = self
            .inner
            .store
            .get_upload(id)
            .await?
            .filter(|u| u.used_by.is_none())
            .ok_or_else(|| {
                EsxDepotError::Invalid(format!("the uploaded file {id} is gone or used"))
            })?;
        let file = self.inner.blobs.open_file(&upload.digest).await?;
        Ok((
            BundleFile {
                file,
                digest: upload.digest,
                downloaded: false,
            },
            upload,
        ))
    }

    /// The download of `url` (from the depot at `origin`), as a future that owns
    /// everything it needs: it stores the bundle as an unreferenced blob (the blob
    /// collector removes it after the import) and opens it.
    pub(crate) fn download_bundle(
        &self,
        url: &str,
        origin: &str,
        header: Option<&(String, String)>,
        progress: watch::Sender<DownloadProgress>,
    ) -> Result<
        impl Future<Output = Result<BundleFile, EsxDepotError>> + Send + 'static,
        EsxDepotError,
    > {
        let settings = &self.inner.settings;
        let mut depot = DepotSettings::new(origin);
        depot.timeouts = settings.timeouts;
        depot.retry = settings.retry;
        depot.max_file_size = settings.max_bundle_bytes;
        if let Some((name, sealed)) = header {
            let value = self.inner.sealer.open(HEADER_FIELD, sealed).map_err(|e| {
                EsxDepotError::Internal(format!("the header cannot be opened: {e}"))
            })?;
            depot.auth = DepotAuth::Header {
                name: name.clone(),
                value,
            };
        }
        let client = DepotClient::new(&depot).map_err(EsxDepotError::Download)?;
        let downloader = Downloader::new(client, DownloadSettings::default());
        let mut request = DownloadRequest::new(DownloadSource::Url(url.to_owned()));
        request.max_size = Some(settings.max_bundle_bytes);
        let blobs = Arc::clone(&self.inner.blobs);
        Ok(async move {
            let mut results = downloader
                .download_reporting(blobs.as_ref(), &[request], &progress)
                .await;
            let fetched = results
                .pop()
                .ok_or_else(|| EsxDepotError::Internal("the download gave no result".to_owned()))?
                .map_err(EsxDepotError::Download)?;
            let file = blobs.open_file(&fetched.blob.digest).await?;
            Ok(BundleFile {
                file,
                digest: fetched.blob.digest,
                downloaded: true,
            })
        })
    }
}

/// The file at `path` (already checked to be under the import directory), hashed.
pub(crate) async fn local_bundle(path: PathBuf) -> Result<BundleFile, EsxDepotError> {
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path).map_err(EsxDepotError::Read)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(EsxDepotError::Read)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let file = std::fs::File::open(&path).map_err(EsxDepotError::Read)?;
        Ok(BundleFile {
            file,
            digest: Sha256Digest::from_bytes(hasher.finalize().into()),
            downloaded: false,
        })
    })
    .await
    .map_err(|e| EsxDepotError::Internal(e.to_string()))?
}
