//! [`Archive`]: a zip archive whose directory was checked as a whole before any entry is
//! read: safe names, no duplicates, symlinks, encryption or overlapping data, sizes and
//! compression ratios within [`Limits`]. Reads then check the bytes actually inflated
//! against the directory, so a directory that lies is caught too.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek};

use zip::ZipArchive;
use zip::read::{ArchiveOffset, Config};

use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::limits::Limits;

/// What errors call the bundle itself.
pub(crate) const BUNDLE: &str = "the offline depot";

/// Bytes read from an entry at a time.
pub(crate) const CHUNK: usize = 256 * 1024;

/// The caps one archive is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArchiveLimits {
    pub max_entries: usize,
    pub max_entry_size: u64,
    pub max_total_size: u64,
    pub max_ratio: u64,
    pub ratio_floor: u64,
}

impl ArchiveLimits {
    /// The caps of the bundle itself.
    pub(crate) fn bundle(limits: &Limits) -> Self {
        Self {
            max_entries: limits.max_entries,
            max_entry_size: limits.max_entry_size,
            max_total_size: limits.max_total_size,
            max_ratio: limits.max_ratio,
            ratio_floor: limits.ratio_floor,
        }
    }

    /// The caps of a metadata zip: every entry is a document read into memory.
    pub(crate) fn metadata(limits: &Limits) -> Self {
        Self {
            max_entry_size: limits.max_document_size,
            max_total_size: limits.max_metadata_total,
            ..Self::bundle(limits)
        }
    }
}

/// A checked zip archive.
pub(crate) struct Archive<R> {
    zip: ZipArchive<R>,
    /// What errors call it: `the offline depot`, or a metadata zip's entry name.
    label: String,
    entries: BTreeMap<EntryName, usize>,
}

impl<R: Read + Seek> Archive<R> {
    /// Reads and checks the directory of `reader`.
    pub(crate) fn open(reader: R, label: &str, limits: ArchiveLimits) -> Result<Self, EsxError> {
        let config = Config {
            archive_offset: ArchiveOffset::Known(0),
        };
        let mut zip = ZipArchive::with_config(config, reader)
            .map_err(|source| EsxError::NotAZip { source })?;
        let label = label.to_owned();
        if zip.len() > limits.max_entries {
            return Err(EsxError::TooManyEntries {
                archive: label,
                limit: limits.max_entries,
            });
        }
        if zip.has_duplicate_names() {
            return Err(EsxError::DuplicateEntry { archive: label });
        }
        let entries = check_entries(&zip, &label, limits)?;
        let overlapping = zip
            .has_overlapping_files()
            .map_err(|source| EsxError::Entry {
                entry: label.clone(),
                source: source.into(),
            })?;
        if overlapping {
            return Err(EsxError::OverlappingEntries { archive: label });
        }
        Ok(Self {
            zip,
            label,
            entries,
        })
    }

    /// The file entries (directories left out), by name.
    pub(crate) fn names(&self) -> impl Iterator<Item = &EntryName> {
        self.entries.keys()
    }

    /// Whether a file entry `name` exists.
    pub(crate) fn contains(&self, name: &EntryName) -> bool {
        self.entries.contains_key(name)
    }

    /// Where the entry's local header starts (to read payloads in file order).
    pub(crate) fn offset_of(&self, name: &EntryName) -> u64 {
        self.entries
            .get(name)
            .and_then(|&i| self.zip.by_index_data(i).ok())
            .map_or(u64::MAX, |entry| entry.header_start())
    }

    /// The whole entry in memory; over `cap` bytes it is refused. `referenced_by` names
    /// the document that asked for it, for the error when it is missing.
    pub(crate) fn read_all(
        &mut self,
        name: &EntryName,
        cap: u64,
        referenced_by: &str,
    ) -> Result<Vec<u8>, EsxError> {
        let mut out = Vec::new();
        self.stream(name, Some(cap), referenced_by, |chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(out)
    }

    /// Inflates the entry into `sink`, chunk by chunk; returns its size. The bytes must
    /// match the declared size exactly (and the CRC, which the zip reader checks at the
    /// end).
    pub(crate) fn stream(
        &mut self,
        name: &EntryName,
        cap: Option<u64>,
        referenced_by: &str,
        mut sink: impl FnMut(&[u8]) -> Result<(), EsxError>,
    ) -> Result<u64, EsxError> {
        let index = *self.entries.get(name).ok_or_else(|| EsxError::Missing {
            name: self.qualified(name),
            referenced_by: referenced_by.to_owned(),
        })?;
        let qualified = self.qualified(name);
        let mut file = self.zip.by_index(index).map_err(|e| EsxError::Entry {
            entry: qualified.clone(),
            source: io::Error::from(e),
        })?;
        let declared = file.size();
        if let Some(limit) = cap
            && declared > limit
        {
            return Err(EsxError::TooLarge {
                name: qualified,
                limit,
            });
        }
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(EsxError::Entry {
                        entry: qualified,
                        source,
                    });
                }
            };
            total += n as u64;
            if total > declared {
                return Err(EsxError::SizeMismatch {
                    name: qualified,
                    declared,
                    actual: total,
                });
            }
            sink(&buf[..n])?;
        }
        if total != declared {
            return Err(EsxError::SizeMismatch {
                name: qualified,
                declared,
                actual: total,
            });
        }
        Ok(total)
    }

    /// `name` as errors show it: inside a metadata zip, `metadata.zip!vibs/x.xml`.
    pub(crate) fn qualified(&self, name: &EntryName) -> String {
        if self.label == BUNDLE {
            name.to_string()
        } else {
            format!("{}!{name}", self.label)
        }
    }
}

/// Checks every directory entry; returns the file entries by name.
fn check_entries<R: Read + Seek>(
    zip: &ZipArchive<R>,
    label: &str,
    limits: ArchiveLimits,
) -> Result<BTreeMap<EntryName, usize>, EsxError> {
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_data(index).map_err(|e| EsxError::Entry {
            entry: label.to_owned(),
            source: io::Error::from(e),
        })?;
        let name = EntryName::parse(entry.name_raw())?;
        if entry.is_symlink() {
            return Err(EsxError::Symlink {
                name: name.to_string(),
            });
        }
        if entry.encrypted() {
            return Err(EsxError::Encrypted {
                name: name.to_string(),
            });
        }
        let size = entry.size();
        let ratio = size / entry.compressed_size().max(1);
        if size > limits.ratio_floor && ratio > limits.max_ratio {
            return Err(EsxError::CompressionRatio {
                name: name.to_string(),
                ratio,
                limit: limits.max_ratio,
            });
        }
        if size > limits.max_entry_size {
            return Err(EsxError::TooLarge {
                name: name.to_string(),
                limit: limits.max_entry_size,
            });
        }
        total = total.saturating_add(size);
        if total > limits.max_total_size {
            return Err(EsxError::TotalTooLarge {
                archive: label.to_owned(),
                limit: limits.max_total_size,
            });
        }
        if entry.is_dir() {
            continue;
        }
        if entries.insert(name, index).is_some() {
            return Err(EsxError::DuplicateEntry {
                archive: label.to_owned(),
            });
        }
    }
    Ok(entries)
}
