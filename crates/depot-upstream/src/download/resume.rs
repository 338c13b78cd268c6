//! One file of a batch: attempts with retries, each continuing the staged write where the
//! last one broke off (`Range: bytes=<len>-` with `If-Range: <validator>`), or starting it
//! over when the depot sends the whole file (it changed, or it ignores ranges).

use std::time::{Duration, Instant};

use depot_blobs::{BlobError, BlobInfo, BlobStore, Expected, StagedWrite};
use reqwest::Response;
use reqwest::header::{
    CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tracing::{info, warn};

use super::backoff::jittered;
use super::limit::RateLimit;
use super::progress::Tracker;
use super::{DownloadRequest, Downloaded};
use crate::classify::{Failure, classify};
use crate::client::DepotClient;
use crate::error::{Unavailable, UpstreamError};
use crate::fetch::{Problem, Step, describe, exhausted};
use crate::location::Target;

/// One file to download, and what it shares with the rest of the batch.
pub(super) struct FileDownload<'a> {
    pub(super) client: &'a DepotClient,
    pub(super) store: &'a dyn BlobStore,
    pub(super) request: &'a DownloadRequest,
    pub(super) limits: &'a [&'a RateLimit],
    pub(super) progress: &'a Tracker<'a>,
}

/// What one attempt leaves to the next.
struct Partial {
    staged: Box<dyn StagedWrite>,
    /// The `If-Range` value: the strong `ETag` (else the `Last-Modified`) of the response
    /// the staged bytes came from. Without one, a broken download starts over.
    validator: Option<HeaderValue>,
    /// The file's full size, once known.
    total: Option<u64>,
    /// Whether the progress counts `total` already.
    sized: bool,
    /// Attempts that continued the staged bytes.
    resumed: u32,
}

impl FileDownload<'_> {
    /// Downloads the file (or finds it stored) and reports the outcome to the progress.
    pub(super) async fn run(self) -> Result<Downloaded, UpstreamError> {
        let result = self.download().await;
        match &result {
            Ok(done) if done.attempts == 0 => self.progress.file_done(done.blob.size),
            Ok(_) => self.progress.file_done(0),
            Err(_) => self.progress.file_failed(),
        }
        result
    }

    #[tracing::instrument(name = "depot_download_file", skip_all, fields(url))]
    async fn download(&self) -> Result<Downloaded, UpstreamError> {
        let (target, authenticated) = self.client.download_target(&self.request.source)?;
        tracing::Span::current().record("url", target.shown.as_str());
        if let Some(blob) = self.already_stored(&target).await? {
            return Ok(Downloaded {
                blob,
                attempts: 0,
                resumed: 0,
            });
        }
        let expect = Expected {
            size: self.request.size,
            sha256: self.request.sha256,
            max_size: Some(self.limit()),
        };
        let staged = self
            .store
            .stage(expect, self.request.checksum.clone())
            .await
            .map_err(|source| write_failure(&target, source))?;
        let mut partial = Partial {
            staged,
            validator: None,
            total: None,
            sized: self.request.size.is_some(),
            resumed: 0,
        };
        let attempts = match self.attempts(&target, authenticated, &mut partial).await {
            Ok(attempts) => attempts,
            Err(err) => {
                self.progress.give_back(partial.staged.len());
                partial.staged.abort().await;
                return Err(err);
            }
        };
        let received = partial.staged.len();
        let blob = partial.staged.commit().await.map_err(|err| {
            self.progress.give_back(received);
            write_failure(&target, err)
        })?;
        info!(sha256 = %blob.digest, size = blob.size, attempts, resumed = partial.resumed,
            "downloaded from depot");
        Ok(Downloaded {
            blob,
            attempts,
            resumed: partial.resumed,
        })
    }

    /// The size cap of this file.
    fn limit(&self) -> u64 {
        self.request.max_size.unwrap_or(self.client.max_file_size)
    }

    /// The stored blob, when the caller named a digest the store holds already.
    async fn already_stored(&self, target: &Target) -> Result<Option<BlobInfo>, UpstreamError> {
        let Some(digest) = self.request.sha256 else {
            return Ok(None);
        };
        let store_failed = |source| UpstreamError::Store {
            url: target.shown.clone(),
            source,
        };
        let Some(size) = self.store.stat(&digest).await.map_err(store_failed)? else {
            return Ok(None);
        };
        match self.request.size {
            Some(expected) if expected != size => Err(UpstreamError::SizeMismatch {
                url: target.shown.clone(),
                expected,
                actual: size,
            }),
            Some(_) => Ok(Some(BlobInfo { digest, size })),
            None => {
                self.progress.sized(size);
                Ok(Some(BlobInfo { digest, size }))
            }
        }
    }

    /// Attempts until the whole file is staged; returns how many it took.
    async fn attempts(
        &self,
        target: &Target,
        authenticated: bool,
        partial: &mut Partial,
    ) -> Result<u32, UpstreamError> {
        let retry = self.client.retry;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (problem, wait) = match self.attempt(target, authenticated, partial, attempts).await
            {
                Ok(()) => return Ok(attempts),
                Err(Step::Fatal(err)) => return Err(err),
                Err(Step::Retry { problem, wait }) => (problem, wait),
            };
            if attempts > retry.max_retries {
                return Err(exhausted(target, problem, attempts));
            }
            let wait = wait.unwrap_or_else(|| jittered(&retry, attempts));
            warn!(
                attempt = attempts,
                received = partial.staged.len(),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                problem = %describe(&problem),
                "depot download failed, retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One GET (of the rest, when bytes are staged) and its body into the staged write.
    async fn attempt(
        &self,
        target: &Target,
        authenticated: bool,
        partial: &mut Partial,
        attempts: u32,
    ) -> Result<(), Step> {
        let started = Instant::now();
        let range = self.range_to_ask(target, partial).await?;
        let mut builder = self.client.get_as(target.url.clone(), authenticated);
        if let Some((offset, validator)) = &range {
            builder = builder
                .header(RANGE, format!("bytes={offset}-"))
                .header(IF_RANGE, validator.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|err| self.client.send_failure(err, started))?;
        let offset = range.map(|(offset, _)| offset);
        self.accept(target, &response, partial, offset, attempts)
            .await?;
        self.receive(target, response, partial, started).await
    }

    /// Where to continue, and the validator that makes it safe; starts over when there is
    /// no validator.
    async fn range_to_ask(
        &self,
        target: &Target,
        partial: &mut Partial,
    ) -> Result<Option<(u64, HeaderValue)>, Step> {
        if partial.staged.is_empty() {
            return Ok(None);
        }
        if let Some(validator) = &partial.validator {
            return Ok(Some((partial.staged.len(), validator.clone())));
        }
        self.restart(target, partial).await?;
        Ok(None)
    }

    /// Checks the answer's status and headers, and starts over when the depot sent the
    /// whole file.
    async fn accept(
        &self,
        target: &Target,
        response: &Response,
        partial: &mut Partial,
        offset: Option<u64>,
        attempts: u32,
    ) -> Result<(), Step> {
        match (response.status().as_u16(), offset) {
            (206, Some(offset)) => match content_range(response.headers()) {
                Some((start, total)) if start == offset => {
                    partial.resumed += 1;
                    total.map_or(Ok(()), |total| self.learn_total(target, partial, total))
                }
                _ => {
                    self.restart(target, partial).await?;
                    Err(retry_now(Unavailable::Connection(
                        "the depot answered a range request with another range".to_owned(),
                    )))
                }
            },
            (200, _) => {
                if !partial.staged.is_empty() {
                    // The file changed (`If-Range` did not match) or ranges are ignored.
                    self.restart(target, partial).await?;
                }
                partial.validator = if_range_validator(response.headers());
                let length = response.content_length();
                if let Some(length) = length {
                    self.learn_total(target, partial, length)?;
                }
                match length.or(self.request.size) {
                    Some(needed) => self.ensure_space(target, needed).await,
                    None => Ok(()),
                }
            }
            (416, Some(_)) => {
                self.restart(target, partial).await?;
                Err(retry_now(Unavailable::Status(416)))
            }
            _ => Err(self.client.status_failure(target, response, attempts)),
        }
    }

    /// Streams the body into the staged write, under the bandwidth limits.
    async fn receive(
        &self,
        target: &Target,
        mut response: Response,
        partial: &mut Partial,
        started: Instant,
    ) -> Result<(), Step> {
        let announced = response.content_length();
        let mut received = 0;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(err) => return Err(self.body_failure(&err, partial, started)),
            };
            let len = chunk.len() as u64;
            for limit in self.limits {
                limit.take(len).await;
            }
            partial
                .staged
                .write(&chunk)
                .await
                .map_err(|err| Step::Fatal(write_failure(target, err)))?;
            received += len;
            self.progress.add(len);
        }
        let staged = partial.staged.len();
        if announced.is_some_and(|n| received < n) || partial.total.is_some_and(|n| staged < n) {
            return Err(Step::Retry {
                problem: Problem::Truncated {
                    received: staged,
                    expected: partial.total,
                },
                wait: None,
            });
        }
        Ok(())
    }

    /// Why reading the body failed: a timeout, or a connection that broke off.
    fn body_failure(&self, err: &reqwest::Error, partial: &Partial, started: Instant) -> Step {
        let problem = match classify(err, &self.client.timeouts, started.elapsed()) {
            Failure::Retryable(
                cause @ (Unavailable::Stalled(_) | Unavailable::RequestTimeout(_)),
            ) => Problem::Unavailable(cause, None),
            _ => Problem::Truncated {
                received: partial.staged.len(),
                expected: partial.total,
            },
        };
        Step::Retry {
            problem,
            wait: None,
        }
    }

    /// The depot announced the file's full size: it must be the expected one.
    fn learn_total(&self, target: &Target, partial: &mut Partial, total: u64) -> Result<(), Step> {
        let url = || target.shown.clone();
        if let Some(expected) = self.request.size
            && expected != total
        {
            return Err(Step::Fatal(UpstreamError::SizeMismatch {
                url: url(),
                expected,
                actual: total,
            }));
        }
        let limit = self.limit();
        if total > limit {
            return Err(Step::Fatal(UpstreamError::TooLarge { url: url(), limit }));
        }
        partial.total = Some(total);
        if !partial.sized {
            partial.sized = true;
            self.progress.sized(total);
        }
        Ok(())
    }

    /// Fails at once when the store has less free space than the file needs.
    async fn ensure_space(&self, target: &Target, needed: u64) -> Result<(), Step> {
        match self.store.capacity().await {
            Ok(Some(capacity)) if capacity.free < needed => {
                Err(Step::Fatal(UpstreamError::StoreFull {
                    url: target.shown.clone(),
                    needed,
                    free: capacity.free,
                }))
            }
            Ok(_) => Ok(()),
            Err(err) => Err(Step::Fatal(write_failure(target, err))),
        }
    }

    /// Drops the staged bytes: the next bytes are the file's first.
    async fn restart(&self, target: &Target, partial: &mut Partial) -> Result<(), Step> {
        self.progress.give_back(partial.staged.len());
        partial.validator = None;
        partial
            .staged
            .restart()
            .await
            .map_err(|err| Step::Fatal(write_failure(target, err)))
    }
}

/// A retry without waiting (the next request differs from the last: no `Range`).
fn retry_now(cause: Unavailable) -> Step {
    Step::Retry {
        problem: Problem::Unavailable(cause, None),
        wait: Some(Duration::ZERO),
    }
}

/// What a failed write or commit of the staged blob means.
fn write_failure(target: &Target, err: BlobError) -> UpstreamError {
    let url = target.shown.clone();
    match err {
        BlobError::TooLarge { limit } => UpstreamError::TooLarge { url, limit },
        BlobError::SizeMismatch { expected, actual } => UpstreamError::SizeMismatch {
            url,
            expected,
            actual,
        },
        BlobError::DigestMismatch { expected, actual } => UpstreamError::DigestMismatch {
            url,
            expected,
            actual,
        },
        BlobError::ChecksumMismatch(source) => UpstreamError::ChecksumMismatch { url, source },
        source => UpstreamError::Store { url, source },
    }
}

/// The `If-Range` value for continuing this response's body: its `ETag` when strong
/// (a weak one cannot be used), else its `Last-Modified`.
fn if_range_validator(headers: &HeaderMap) -> Option<HeaderValue> {
    let strong_etag = headers
        .get(ETAG)
        .filter(|etag| !etag.as_bytes().starts_with(b"W/"));
    strong_etag.or_else(|| headers.get(LAST_MODIFIED)).cloned()
}

/// The first byte and the full size (`None` for `*`) of `Content-Range: bytes a-b/n`.
fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let first: u64 = first.parse().ok()?;
    let last: u64 = last.parse().ok()?;
    let total = match total {
        "*" => None,
        n => Some(n.parse::<u64>().ok()?),
    };
    if last < first || total.is_some_and(|n| last >= n) {
        return None;
    }
    Some((first, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(reqwest::header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn content_range_is_parsed_strictly() {
        let range = |v| content_range(&headers(&[(CONTENT_RANGE, v)]));
        assert_eq!(range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(range("bytes 0-0/*"), Some((0, None)));
        assert_eq!(range("bytes 100-199/150"), None);
        assert_eq!(range("bytes 5-4/10"), None);
        assert_eq!(range("bytes */200"), None);
        assert_eq!(range("items 0-1/2"), None);
    }

    #[test]
    fn if_range_takes_a_strong_etag_else_the_date() {
        let date = "Fri, 21 Mar 2025 09:42:55 GMT";
        let strong = headers(&[(ETAG, "\"v1\""), (LAST_MODIFIED, date)]);
        assert_eq!(if_range_validator(&strong).unwrap(), "\"v1\"");
        let weak = headers(&[(ETAG, "W/\"v1\""), (LAST_MODIFIED, date)]);
        assert_eq!(if_range_validator(&weak).unwrap(), date);
        assert_eq!(if_range_validator(&headers(&[(ETAG, "W/\"v1\"")])), None);
    }
}
