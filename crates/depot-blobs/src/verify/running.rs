//! [`RunningChecksum`]: a declared checksum computed over data pushed in pieces, for
//! writers that have no reader to wrap in [`Verifying`](super::Verifying) (a staged
//! write, which may be fed across several connections).

use super::{Checksum, ChecksumMismatch, Hasher, hasher};

/// The state of one declared checksum while its data arrives.
pub(crate) struct RunningChecksum {
    expected: Checksum,
    hasher: Hasher,
}

impl RunningChecksum {
    /// Starts checking data against `expected`.
    pub(crate) fn new(expected: Checksum) -> Self {
        let hasher = hasher(expected.algorithm);
        Self { expected, hasher }
    }

    /// Hashes the next piece of data.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    /// Forgets the data so far (the writer starts over).
    pub(crate) fn reset(&mut self) {
        self.hasher = hasher(self.expected.algorithm);
    }

    /// Checks the data seen against the declared checksum.
    pub(crate) fn finish(self) -> Result<(), ChecksumMismatch> {
        let actual = Checksum {
            algorithm: self.expected.algorithm,
            digest: self.hasher.finish(),
        };
        if actual == self.expected {
            Ok(())
        } else {
            Err(ChecksumMismatch {
                expected: self.expected,
                actual,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use depot_model::ChecksumAlgorithm;

    use super::*;

    #[test]
    fn pieces_reset_and_mismatch() {
        let sha1_abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
        let expected = Checksum::from_hex(ChecksumAlgorithm::Sha1, sha1_abc).unwrap();
        let mut running = RunningChecksum::new(expected.clone());
        running.update(b"zz");
        running.reset();
        running.update(b"a");
        running.update(b"bc");
        running.finish().expect("abc in two pieces");

        let mut running = RunningChecksum::new(expected.clone());
        running.update(b"abd");
        let mismatch = running.finish().expect_err("abd");
        assert_eq!(mismatch.expected, expected);
        assert_ne!(mismatch.actual.hex(), sha1_abc);
    }
}
