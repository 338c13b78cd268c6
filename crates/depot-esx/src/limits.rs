//! [`Limits`]: how much a bundle may hold before it is refused as a zip bomb or a
//! resource-exhaustion attempt.

/// Caps applied while reading a bundle. Every cap is checked against what the central
/// directory declares *and* against the bytes actually inflated, so a directory that lies
/// does not get past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the bundle zip (and in each metadata zip).
    pub max_entries: usize,
    /// Bytes one entry may inflate to (a VIB payload is rarely over 1 GiB).
    pub max_entry_size: u64,
    /// Bytes all entries of the bundle may inflate to together.
    pub max_total_size: u64,
    /// Inflated size ÷ compressed size above which an entry is a zip bomb...
    pub max_ratio: u64,
    /// ...once its inflated size passes this many bytes (small XML compresses well).
    pub ratio_floor: u64,
    /// Bytes one metadata zip may have (it is read into memory).
    pub max_metadata_zip_size: u64,
    /// Bytes one XML or JSON document may have (read into memory, then parsed).
    pub max_document_size: u64,
    /// Bytes all documents of one metadata zip may inflate to together.
    pub max_metadata_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: u64 = 1 << 20;
        Self {
            max_entries: 100_000,
            max_entry_size: 16 << 30,
            max_total_size: 128 << 30,
            max_ratio: 100,
            ratio_floor: MIB,
            max_metadata_zip_size: 256 * MIB,
            max_document_size: 16 * MIB,
            max_metadata_total: 512 * MIB,
        }
    }
}
