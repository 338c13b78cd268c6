//! [`HttpDocuments`]: an online depot's documents fetched through its `DepotClient`
//! (TLS trust, proxy, retries, size cap while streaming) into the blob store and read
//! back. The reader is synchronous and runs on a blocking thread; each fetch drives the
//! async client on the runtime from there.

use std::sync::Arc;

use depot_blobs::BlobStore;
use depot_esx::{DepotDocuments, EntryName, EsxError};
use depot_upstream::{DepotClient, DepotPath, FetchOutcome, FetchRequest, UpstreamError};
use tokio::runtime::Handle;

/// The documents of one depot.
pub(crate) struct HttpDocuments {
    pub client: DepotClient,
    pub blobs: Arc<dyn BlobStore>,
    pub runtime: Handle,
}

impl DepotDocuments for HttpDocuments {
    fn fetch(
        &mut self,
        path: &EntryName,
        cap: u64,
        referenced_by: &str,
    ) -> Result<Vec<u8>, EsxError> {
        let unreachable = |reason: String| EsxError::Unreachable {
            document: path.to_string(),
            reason,
        };
        let depot_path = DepotPath::parse(path.as_str()).map_err(|e| EsxError::Invalid {
            document: referenced_by.to_owned(),
            reason: e.to_string(),
        })?;
        let request = FetchRequest {
            max_size: Some(cap),
            ..FetchRequest::default()
        };
        let fetched = self.runtime.block_on(self.client.fetch(
            self.blobs.as_ref(),
            &depot_path,
            &request,
        ));
        let blob = match fetched {
            Ok(FetchOutcome::Fetched(f)) => f.blob,
            Ok(FetchOutcome::NotModified(_)) => {
                return Err(unreachable(
                    "the depot answered 304 to an unconditional GET".to_owned(),
                ));
            }
            Err(UpstreamError::FileNotFound { .. }) => {
                return Err(EsxError::Missing {
                    name: path.to_string(),
                    referenced_by: referenced_by.to_owned(),
                });
            }
            Err(UpstreamError::TooLarge { limit, .. }) => {
                return Err(EsxError::TooLarge {
                    name: path.to_string(),
                    limit,
                });
            }
            Err(e) => return Err(unreachable(e.to_string())),
        };
        self.runtime
            .block_on(self.blobs.read_all(&blob.digest, cap))
            .map_err(EsxError::Blob)
    }
}
