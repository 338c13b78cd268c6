//! [`DepotClient::fetch`]: a conditional GET streamed into a blob store, with retries.

use std::time::{Duration, Instant};

use depot_blobs::{BlobError, BlobInfo, BlobStore, Expected, Sha256Digest};
use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::{Response, StatusCode};
use tracing::{info, warn};

use crate::body::BodyReader;
use crate::classify::{Failure, classify};
use crate::client::DepotClient;
use crate::error::{Unavailable, UpstreamError};
use crate::location::{DepotPath, Target};

/// What the caller knows about its current copy of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    /// The `ETag` the depot sent with the current copy (sent as `If-None-Match`).
    pub etag: Option<String>,
    /// The `Last-Modified` the depot sent with the current copy (sent as
    /// `If-Modified-Since`).
    pub last_modified: Option<String>,
    /// The digest of the current copy: when the depot sends the file anyway, the outcome
    /// says whether the content actually changed ([`Fetched::unchanged`]).
    pub known_sha256: Option<Sha256Digest>,
}

/// One file to fetch: conditions and checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchRequest {
    /// Validators of the current copy.
    pub conditional: Conditional,
    /// Size cap for this file; `None`: the client's `max_file_size`.
    pub max_size: Option<u64>,
    /// The digest the content must have (e.g. from a manifest); checked before the blob is
    /// committed.
    pub expected_sha256: Option<Sha256Digest>,
}

impl From<Conditional> for FetchRequest {
    fn from(conditional: Conditional) -> Self {
        Self {
            conditional,
            ..Self::default()
        }
    }
}

/// The cache validators of a depot response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header, verbatim (quotes and `W/` included).
    pub etag: Option<String>,
    /// The `Last-Modified` header, verbatim.
    pub last_modified: Option<String>,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
        }
    }
}

/// A file that was downloaded and committed to the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The stored blob (digest and size).
    pub blob: BlobInfo,
    /// The validators to send next time.
    pub validators: Validators,
    /// The content equals [`Conditional::known_sha256`].
    pub unchanged: bool,
    /// Attempts it took (1 = no retry).
    pub attempts: u32,
}

/// The result of a [`DepotClient::fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// HTTP 304: the current copy is still valid. Carries the validators of the answer
    /// (those sent, where the depot did not repeat them).
    NotModified(Validators),
    /// The file was downloaded and stored.
    Fetched(Fetched),
}

/// Why an attempt failed in a way worth retrying.
pub(crate) enum Problem {
    Unavailable(Unavailable, Option<reqwest::Error>),
    Truncated {
        received: u64,
        expected: Option<u64>,
    },
}

/// How an attempt ended, when it did not succeed.
pub(crate) enum Step {
    Fatal(UpstreamError),
    Retry {
        problem: Problem,
        wait: Option<Duration>,
    },
}

impl DepotClient {
    /// Downloads `path` into `store`, unless the depot says the copy described by
    /// `request.conditional` is still current.
    ///
    /// The body is streamed into [`BlobStore::put`] under the size cap and the announced
    /// `Content-Length`; a blob is committed only when it is complete. Connection failures,
    /// timeouts, cut-off bodies, HTTP 408/429/5xx are retried (each retry starts over) with
    /// exponential backoff or the server's short `Retry-After`; other answers fail at once.
    pub async fn fetch(
        &self,
        store: &dyn BlobStore,
        path: &DepotPath,
        request: &FetchRequest,
    ) -> Result<FetchOutcome, UpstreamError> {
        let target = self.locator.target(path);
        self.fetch_target(store, &target, request).await
    }

    #[tracing::instrument(name = "depot_fetch", skip_all, fields(url = %target.shown))]
    async fn fetch_target(
        &self,
        store: &dyn BlobStore,
        target: &Target,
        request: &FetchRequest,
    ) -> Result<FetchOutcome, UpstreamError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (problem, wait) = match self.attempt(store, target, request, attempts).await {
                Ok(outcome) => return Ok(outcome),
                Err(Step::Fatal(err)) => return Err(err),
                Err(Step::Retry { problem, wait }) => (problem, wait),
            };
            if attempts > self.retry.max_retries {
                return Err(exhausted(target, problem, attempts));
            }
            let wait = wait.unwrap_or_else(|| self.retry.backoff(attempts));
            warn!(
                attempt = attempts,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                problem = %describe(&problem),
                "depot request failed, retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One GET, and the body into the store.
    async fn attempt(
        &self,
        store: &dyn BlobStore,
        target: &Target,
        request: &FetchRequest,
        attempts: u32,
    ) -> Result<FetchOutcome, Step> {
        let started = Instant::now();
        let conditional = &request.conditional;
        let mut builder = self.get(target.url.clone());
        for (name, value) in [
            (IF_NONE_MATCH, &conditional.etag),
            (IF_MODIFIED_SINCE, &conditional.last_modified),
        ] {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                builder = builder.header(name, value);
            }
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return Err(self.send_failure(err, started)),
        };
        match response.status().as_u16() {
            200 => {
                self.store_body(store, target, response, request, attempts, started)
                    .await
            }
            304 if conditional.etag.is_some() || conditional.last_modified.is_some() => {
                let fresh = Validators::from_headers(response.headers());
                Ok(FetchOutcome::NotModified(Validators {
                    etag: fresh.etag.or_else(|| conditional.etag.clone()),
                    last_modified: fresh
                        .last_modified
                        .or_else(|| conditional.last_modified.clone()),
                }))
            }
            _ => Err(self.status_failure(target, &response, attempts)),
        }
    }

    /// What an answer other than 200 (or an expected 304) means.
    pub(crate) fn status_failure(
        &self,
        target: &Target,
        response: &Response,
        attempts: u32,
    ) -> Step {
        let url = target.shown.clone();
        let status = response.status().as_u16();
        match status {
            401 | 403 => Step::Fatal(UpstreamError::InvalidCredential { url, status }),
            404 | 410 => Step::Fatal(UpstreamError::FileNotFound { url, status }),
            408 | 429 | 500..=599 => {
                let wait = retry_after(response.headers());
                if let Some(wait) = wait.filter(|wait| *wait > self.retry.max_retry_after) {
                    let cause = Unavailable::RetryAfterTooLong { status, wait };
                    return Step::Fatal(UpstreamError::NotAvailable {
                        url,
                        cause,
                        attempts,
                        source: None,
                    });
                }
                let problem = Problem::Unavailable(Unavailable::Status(status), None);
                Step::Retry { problem, wait }
            }
            _ => Step::Fatal(UpstreamError::UnexpectedStatus { url, status }),
        }
    }

    /// Streams a 200 body into the store.
    async fn store_body(
        &self,
        store: &dyn BlobStore,
        target: &Target,
        response: Response,
        request: &FetchRequest,
        attempts: u32,
        started: Instant,
    ) -> Result<FetchOutcome, Step> {
        debug_assert_eq!(response.status(), StatusCode::OK);
        let limit = request.max_size.unwrap_or(self.max_file_size);
        let validators = Validators::from_headers(response.headers());
        let announced = response.content_length();
        if announced.is_some_and(|size| size > limit) {
            return Err(Step::Fatal(UpstreamError::TooLarge {
                url: target.shown.clone(),
                limit,
            }));
        }
        let expect = Expected {
            size: announced,
            sha256: request.expected_sha256,
            max_size: Some(limit),
        };
        let mut reader = BodyReader::new(response);
        match store.put(&mut reader, expect).await {
            Ok(blob) => {
                info!(
                    sha256 = %blob.digest,
                    size = blob.size,
                    attempts,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "downloaded from depot"
                );
                Ok(FetchOutcome::Fetched(Fetched {
                    blob,
                    validators,
                    unchanged: request.conditional.known_sha256 == Some(blob.digest),
                    attempts,
                }))
            }
            Err(err) => {
                Err(self.store_failure(target, err, &mut reader, announced, limit, started))
            }
        }
    }

    /// Sorts out why a `put` failed: the body (retry), the cap or digest (fatal), the store.
    fn store_failure(
        &self,
        target: &Target,
        err: BlobError,
        reader: &mut BodyReader,
        announced: Option<u64>,
        limit: u64,
        started: Instant,
    ) -> Step {
        let url = target.shown.clone();
        if let Some(failure) = reader.take_failure() {
            let problem = match classify(&failure, &self.timeouts, started.elapsed()) {
                Failure::Retryable(
                    cause @ (Unavailable::Stalled(_) | Unavailable::RequestTimeout(_)),
                ) => Problem::Unavailable(cause, Some(failure)),
                _ => Problem::Truncated {
                    received: reader.received(),
                    expected: announced,
                },
            };
            return Step::Retry {
                problem,
                wait: None,
            };
        }
        match err {
            BlobError::TooLarge { .. } => Step::Fatal(UpstreamError::TooLarge { url, limit }),
            BlobError::SizeMismatch { expected, actual } => Step::Retry {
                problem: Problem::Truncated {
                    received: actual,
                    expected: Some(expected),
                },
                wait: None,
            },
            BlobError::DigestMismatch { expected, actual } => {
                Step::Fatal(UpstreamError::DigestMismatch {
                    url,
                    expected,
                    actual,
                })
            }
            source => Step::Fatal(UpstreamError::Store { url, source }),
        }
    }

    /// Sorts out why sending a request failed.
    pub(crate) fn send_failure(&self, err: reqwest::Error, started: Instant) -> Step {
        match classify(&err, &self.timeouts, started.elapsed()) {
            Failure::UnknownHost(host) => Step::Fatal(UpstreamError::UnknownHost { host }),
            Failure::Untrusted(reason) => Step::Fatal(UpstreamError::UntrustedCertificate {
                host: self.locator.host(),
                reason,
            }),
            Failure::Retryable(cause) => Step::Retry {
                problem: Problem::Unavailable(cause, Some(err.without_url())),
                wait: None,
            },
        }
    }
}

/// The error for a problem that persisted through all attempts.
pub(crate) fn exhausted(target: &Target, problem: Problem, attempts: u32) -> UpstreamError {
    let url = target.shown.clone();
    match problem {
        Problem::Unavailable(cause, source) => UpstreamError::NotAvailable {
            url,
            cause,
            attempts,
            source,
        },
        Problem::Truncated { received, expected } => UpstreamError::Truncated {
            url,
            received,
            expected,
            attempts,
        },
    }
}

/// A one-line description for the retry log.
pub(crate) fn describe(problem: &Problem) -> String {
    match problem {
        Problem::Unavailable(cause, _) => cause.to_string(),
        Problem::Truncated { received, expected } => match expected {
            Some(expected) => format!("body cut off after {received} of {expected} bytes"),
            None => format!("body cut off after {received} bytes"),
        },
    }
}

/// A `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
