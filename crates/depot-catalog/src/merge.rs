//! Merging a PATCH catalog file into the stored catalog: [`merge_into`].

use std::collections::HashMap;

use crate::error::CatalogError;
use crate::model::ProductVersionCatalog;
use crate::values::{ProductType, ProductVersion};

/// One patch entry, named by product type and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryRef {
    /// The product type (key of `patches`).
    pub product_type: ProductType,
    /// The patch's `productVersion`.
    pub product_version: ProductVersion,
}

/// What a merge did, entry by entry, in the order of the merged file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergeReport {
    /// Sequence number of the stored catalog before the merge.
    pub previous_sequence_number: u64,
    /// Sequence number of the merged catalog (the higher of the two).
    pub sequence_number: u64,
    /// Versions that were not listed and were added.
    pub added: Vec<EntryRef>,
    /// Versions that were listed and were replaced by the newer file's entry.
    pub replaced: Vec<EntryRef>,
    /// Versions listed with byte-identical JSON: nothing to do.
    pub unchanged: Vec<EntryRef>,
    /// Versions listed with different JSON that were left as they are because the file's
    /// sequence number is not higher than the stored catalog's.
    pub skipped: Vec<EntryRef>,
}

impl MergeReport {
    /// Whether the merge changed the stored catalog (entries or sequence number).
    pub fn changed(&self) -> bool {
        !self.added.is_empty()
            || !self.replaced.is_empty()
            || self.sequence_number != self.previous_sequence_number
    }
}

/// Merges the patches of `incoming` (a PATCH file) into `stored`, per product type, entries
/// keyed by `productVersion`.
///
/// Rules, by the file's sequence number compared to the stored catalog's:
/// - **lower**: refused with [`CatalogError::Rollback`]; `stored` is not touched. (An old
///   file must not bring back entries a newer catalog dropped.)
/// - **equal**: new versions are added; a listed version is left alone (`unchanged` if the
///   JSON is identical, otherwise `skipped`). Re-applying the same file changes nothing.
/// - **higher**: new versions are added, listed versions with different JSON are
///   `replaced`, and the merged catalog takes the file's sequence number, `version`,
///   `creationTime` and `publishedTime`; unknown top-level fields of the file are added
///   or override the stored ones.
///
/// New versions are appended after the existing ones of their product type. A file that
/// lists a version twice is refused already by [`parse_catalog`](crate::parse_catalog).
/// The work is linear in the number of patches of the touched product types.
pub fn merge_into(
    stored: &mut ProductVersionCatalog,
    incoming: ProductVersionCatalog,
) -> Result<MergeReport, CatalogError> {
    let previous = stored.sequence_number();
    let newer = match incoming.sequence_number().cmp(&previous) {
        std::cmp::Ordering::Less => {
            return Err(CatalogError::Rollback {
                stored: previous,
                incoming: incoming.sequence_number(),
            });
        }
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Greater => true,
    };
    let mut report = MergeReport {
        previous_sequence_number: previous,
        sequence_number: previous.max(incoming.sequence_number()),
        ..MergeReport::default()
    };
    let ProductVersionCatalog { header, patches } = incoming;
    for (product_type, new_patches) in patches {
        if new_patches.is_empty() {
            continue;
        }
        let entries = stored.patches.entry(product_type.clone()).or_default();
        let mut index: HashMap<ProductVersion, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, patch)| (patch.product_version.clone(), i))
            .collect();
        for patch in new_patches {
            let entry = EntryRef {
                product_type: product_type.clone(),
                product_version: patch.product_version.clone(),
            };
            match index.get(&patch.product_version) {
                None => {
                    index.insert(patch.product_version.clone(), entries.len());
                    entries.push(patch);
                    report.added.push(entry);
                }
                Some(&i) if entries[i].same_json(&patch) => report.unchanged.push(entry),
                Some(&i) if newer => {
                    entries[i] = patch;
                    report.replaced.push(entry);
                }
                Some(_) => report.skipped.push(entry),
            }
        }
    }
    if newer {
        let mut extra = std::mem::take(&mut stored.header.extra);
        let mut positions: HashMap<String, usize> = extra
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        for (name, raw) in header.extra {
            if let Some(&i) = positions.get(&name) {
                extra[i].1 = raw;
            } else {
                positions.insert(name.clone(), extra.len());
                extra.push((name, raw));
            }
        }
        stored.header = crate::model::Header { extra, ..header };
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_catalog;

    fn catalog(sequence_number: u64, patches: &str, extra: &str) -> ProductVersionCatalog {
        let text = format!(
            r#"{{"version":1,"sequenceNumber":{sequence_number},"creationTime":"2025-01-01T00:00:00Z",
            "publishedTime":"2025-01-01T00:00:00Z","patches":{{{patches}}}{extra}}}"#
        );
        parse_catalog(text.as_bytes()).expect("valid test catalog")
    }

    fn patch(version: &str, description: &str) -> String {
        format!(
            r#"{{"productVersion":"{version}","description":"{description}","artifacts":{{"bundles":[]}}}}"#
        )
    }

    #[test]
    fn empty_lists_do_not_create_product_types() {
        let mut stored = catalog(1, "", "");
        let report = merge_into(&mut stored, catalog(2, r#""X":[]"#, "")).expect("merge");
        assert!(stored.patches().is_empty());
        assert!(report.changed(), "sequence number moved");
    }

    #[test]
    fn unknown_top_level_fields_merge_by_name() {
        let mut stored = catalog(1, "", r#","a":1,"b":2"#);
        let incoming = catalog(
            2,
            &format!(r#""X":[{}]"#, patch("1", "x")),
            r#","b":3,"c":4"#,
        );
        merge_into(&mut stored, incoming).expect("merge");
        let fields: Vec<_> = stored.unknown_fields().collect();
        assert_eq!(fields, [("a", "1"), ("b", "3"), ("c", "4")]);
    }

    #[test]
    fn equal_sequence_reapply_is_a_no_op() {
        let patches = format!(r#""X":[{}]"#, patch("1", "x"));
        let mut stored = catalog(3, &patches, "");
        let report = merge_into(&mut stored, catalog(3, &patches, "")).expect("merge");
        assert!(!report.changed());
        assert_eq!(report.unchanged.len(), 1);
    }
}
