//! Large reads as several ranged GETs at once, delivered in order.
//!
//! One GET stream is bounded by one connection (and by how the server reads its disk:
//! s3s-fs reads 4 KiB at a time), while object stores serve parallel range requests
//! well — as `aws s3 cp` downloads. A read of more than [`MIN_PARALLEL`] bytes keeps
//! its first GET for the first [`RANGE`] bytes and fetches the rest as `RANGE`-sized
//! ranged GETs, [`IN_FLIGHT`] at a time, each held in memory until the reader reaches
//! it. Memory is bounded per reader (`IN_FLIGHT` ranges) and across readers: only
//! [`PARALLEL_READERS`] readers at once read in parallel; the others stream one GET.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::{self, BoxStream};
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::metrics::{bytes_in, call};

/// The size of each ranged GET after the first.
pub(super) const RANGE: u64 = 8 << 20;
/// Ranged GETs of one reader on their way (or waiting to be read) at once.
pub(super) const IN_FLIGHT: usize = 4;
/// Reads shorter than this stream one GET.
pub(super) const MIN_PARALLEL: u64 = 2 * RANGE;
/// Readers reading in parallel at once (each holds up to `IN_FLIGHT` × `RANGE` bytes).
pub(super) const PARALLEL_READERS: usize = 8;

/// The permits of parallel readers.
pub(super) fn readers() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(PARALLEL_READERS))
}

/// A body of bytes for a reader.
pub(super) type Body = BoxStream<'static, std::io::Result<Bytes>>;

/// The bytes `start..end` of the object at `key`: `first` (a GET streaming from
/// `start`) cut after [`RANGE`] bytes, then the rest in parallel ranged GETs — when
/// the read is long enough and a parallel reader's permit is free. Otherwise `first`
/// as it is.
pub(super) fn body(
    client: &Arc<AmazonS3>,
    key: &Path,
    first: Body,
    start: u64,
    end: u64,
    permits: &Arc<Semaphore>,
) -> Body {
    if end.saturating_sub(start) < MIN_PARALLEL {
        return first;
    }
    let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
        return first;
    };
    let head = limit(first, RANGE);
    let ranges = (start + RANGE..end)
        .step_by(usize::try_from(RANGE).unwrap_or(usize::MAX))
        .map(move |from| from..(from + RANGE).min(end));
    let (client, key) = (Arc::clone(client), key.clone());
    let rest = stream::iter(ranges)
        .map(move |range| fetch(Arc::clone(&client), key.clone(), range))
        .buffered(IN_FLIGHT)
        .map(keep(permit));
    head.chain(rest).boxed()
}

/// Passes items through, holding `permit` as long as the stream lives.
fn keep(
    permit: OwnedSemaphorePermit,
) -> impl FnMut(std::io::Result<Bytes>) -> std::io::Result<Bytes> {
    move |item| {
        let _held = &permit;
        item
    }
}

/// One range, whole.
async fn fetch(
    client: Arc<AmazonS3>,
    key: Path,
    range: std::ops::Range<u64>,
) -> std::io::Result<Bytes> {
    let expected = range.end - range.start;
    let options = GetOptions::new().with_range(Some(GetRange::Bounded(range)));
    let bytes = call("get", async {
        client.get_opts(&key, options).await?.bytes().await
    })
    .await
    .map_err(std::io::Error::other)?;
    if bytes.len() as u64 != expected {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "a ranged read of {key} returned {} bytes, not {expected}",
                bytes.len()
            ),
        ));
    }
    bytes_in(bytes.len());
    Ok(bytes)
}

/// The first `n` bytes of `body`; the rest is never read.
fn limit(body: Body, n: u64) -> Body {
    body.scan(n, |left, item| {
        let out = match item {
            Ok(_) if *left == 0 => None,
            Ok(mut chunk) => {
                if chunk.len() as u64 > *left {
                    chunk.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                }
                *left -= chunk.len() as u64;
                Some(Ok(chunk))
            }
            Err(e) => Some(Err(e)),
        };
        std::future::ready(out)
    })
    .boxed()
}
