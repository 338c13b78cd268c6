//! A reader that checks what streams through it into a store: a checksum a client
//! declared in its own algorithm (MD5, SHA-1, SHA-256 or SHA-512, as vSphere's
//! `checksum_info` does), and a count of the bytes so far for progress reports.
//!
//! A mismatch is an error at the end of the stream — the read that would say "end"
//! fails instead — so [`BlobStore::put`](crate::BlobStore::put), which commits only
//! after reading to the end, stores nothing: unverified bytes are never visible.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use depot_model::ChecksumAlgorithm;
use sha2::Digest;
use tokio::io::{AsyncRead, ReadBuf};

mod running;
pub(crate) use self::running::RunningChecksum;

/// The digest length of `algorithm`, in bytes.
fn digest_len(algorithm: ChecksumAlgorithm) -> usize {
    match algorithm {
        ChecksumAlgorithm::Md5 => 16,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
        ChecksumAlgorithm::Sha512 => 64,
    }
}

fn hasher(algorithm: ChecksumAlgorithm) -> Hasher {
    match algorithm {
        ChecksumAlgorithm::Md5 => Hasher::Md5(md5::Md5::new()),
        ChecksumAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
        ChecksumAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        ChecksumAlgorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
    }
}

/// A declared checksum: an algorithm and the digest it must give.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    digest: Vec<u8>,
}

/// A checksum that cannot be: unknown algorithm, bad hex, wrong length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidChecksum(String);

impl Checksum {
    /// A checksum from its hex text (either case); the length must fit the algorithm.
    pub fn from_hex(algorithm: ChecksumAlgorithm, hex: &str) -> Result<Self, InvalidChecksum> {
        let digest = hex::decode(hex).map_err(|_| {
            InvalidChecksum(format!(
                "the {} checksum is not hexadecimal",
                algorithm.as_str()
            ))
        })?;
        if digest.len() != digest_len(algorithm) {
            return Err(InvalidChecksum(format!(
                "a {} checksum has {} hex digits, not {}",
                algorithm.as_str(),
                digest_len(algorithm) * 2,
                hex.len()
            )));
        }
        Ok(Self { algorithm, digest })
    }

    /// The checksum a client declared (its hex checked).
    pub fn declared(declared: &depot_model::Checksum) -> Result<Self, InvalidChecksum> {
        Self::from_hex(declared.algorithm, &declared.value)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// A SHA-256 checksum is a blob's own name: the digest, for
    /// [`Expected::sha256`](crate::Expected::sha256), so that the store checks it
    /// while hashing once. `None` for the other algorithms.
    pub fn as_sha256(&self) -> Option<crate::Sha256Digest> {
        let bytes: [u8; 32] = self.digest.as_slice().try_into().ok()?;
        (self.algorithm == ChecksumAlgorithm::Sha256)
            .then(|| crate::Sha256Digest::from_bytes(bytes))
    }

    /// The digest as lowercase hex.
    pub fn hex(&self) -> String {
        hex::encode(&self.digest)
    }
}

impl From<crate::Sha256Digest> for Checksum {
    fn from(digest: crate::Sha256Digest) -> Self {
        Self {
            algorithm: ChecksumAlgorithm::Sha256,
            digest: digest.as_bytes().to_vec(),
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex())
    }
}

/// The data did not have the declared checksum (carried inside the reader's
/// `io::Error`; [`BlobError::ChecksumMismatch`](crate::BlobError::ChecksumMismatch)
/// once it comes out of a store).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checksum mismatch: expected {expected}, got {actual}")]
pub struct ChecksumMismatch {
    /// What the client declared.
    pub expected: Checksum,
    /// What the data gave.
    pub actual: Checksum,
}

/// Bytes read so far, shared with whoever reports progress.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Md5(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Self::Md5(h) => h.finalize().to_vec(),
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// Wraps a reader: counts its bytes into a [`Progress`] and, when a checksum is
/// declared, fails the end of the stream if the data does not match it.
pub struct Verifying<R> {
    inner: R,
    check: Option<(Checksum, Hasher)>,
    progress: Progress,
}

impl<R> Verifying<R> {
    /// `inner`, checked against `checksum` (none: only counted).
    pub fn new(inner: R, checksum: Option<Checksum>) -> Self {
        Self {
            inner,
            check: checksum.map(|c| {
                let hasher = hasher(c.algorithm);
                (c, hasher)
            }),
            progress: Progress::default(),
        }
    }

    /// The byte count this reader advances.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Verifying<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        let new = &buf.filled()[before..];
        if !new.is_empty() {
            if let Some((_, hasher)) = &mut this.check {
                hasher.update(new);
            }
            this.progress
                .0
                .fetch_add(new.len() as u64, Ordering::Relaxed);
            return Poll::Ready(Ok(()));
        }
        // The end (or an empty buffer, which says nothing): check once at the end.
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if let Some((expected, hasher)) = this.check.take() {
            let actual = Checksum {
                algorithm: expected.algorithm,
                digest: hasher.finish(),
            };
            if actual != expected {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    ChecksumMismatch { expected, actual },
                )));
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The mismatch inside a reader's error, if that is what it is.
pub(crate) fn mismatch_in(error: &io::Error) -> Option<ChecksumMismatch> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ChecksumMismatch>())
        .cloned()
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    const ABC: &[(ChecksumAlgorithm, &str)] = &[
        (ChecksumAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
        (
            ChecksumAlgorithm::Sha1,
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            ChecksumAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            ChecksumAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];

    async fn read(data: &'static [u8], checksum: Option<Checksum>) -> io::Result<Vec<u8>> {
        let mut reader = Verifying::new(data, checksum);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.map(|_| out)
    }

    #[tokio::test]
    async fn each_algorithm_passes_its_own_digest_and_fails_another() {
        for (algorithm, hex) in ABC {
            let good = Checksum::from_hex(*algorithm, &hex.to_uppercase()).unwrap();
            assert_eq!(read(b"abc", Some(good.clone())).await.unwrap(), b"abc");
            let err = read(b"abd", Some(good.clone())).await.unwrap_err();
            let mismatch = mismatch_in(&err).expect("a checksum mismatch");
            assert_eq!(mismatch.expected, good);
            assert_eq!(mismatch.actual.algorithm(), *algorithm);
            assert_ne!(mismatch.actual.hex(), *hex);
        }
    }

    #[tokio::test]
    async fn progress_counts_every_byte() {
        let data: &'static [u8] = Box::leak(vec![7u8; 300_000].into_boxed_slice());
        let mut reader = Verifying::new(data, None);
        let progress = reader.progress();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        assert_eq!(progress.bytes(), 300_000);
    }

    #[test]
    fn only_a_sha256_checksum_is_a_blob_digest() {
        let abc = crate::Sha256Digest::compute(b"abc");
        let declared = Checksum::from_hex(ChecksumAlgorithm::Sha256, &abc.to_string()).unwrap();
        assert_eq!(declared.as_sha256(), Some(abc));
        assert_eq!(Checksum::from(abc), declared);
        let (algorithm, hex) = ABC[1];
        assert_eq!(
            Checksum::from_hex(algorithm, hex).unwrap().as_sha256(),
            None
        );
    }

    #[test]
    fn bad_checksums_are_refused() {
        assert!(Checksum::from_hex(ChecksumAlgorithm::Md5, "zz").is_err());
        assert!(Checksum::from_hex(ChecksumAlgorithm::Sha256, "abcd").is_err());
        let declared = depot_model::Checksum {
            algorithm: ChecksumAlgorithm::Sha1,
            value: "A9993E364706816ABA3E25717850C26C9CD0D89D".to_owned(),
        };
        assert_eq!(
            Checksum::declared(&declared).unwrap().to_string(),
            "SHA1:a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
