//! Deterministic catalog generators for tests and benches (feature `testkit`).
//!
//! The same [`CatalogSpec`] always gives the same bytes, so tests can compare outputs and
//! benches measure the same input every run.

use serde_json::{Value, json};

/// The product types the generator cycles through (those seen in real catalogs).
pub const PRODUCT_TYPES: [&str; 5] = [
    "VCENTER",
    "NSX_T_MANAGER",
    "SDDC_MANAGER_VCF",
    "VROPS",
    "VRSLCM",
];

/// What catalog to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSpec {
    /// `sequenceNumber`.
    pub sequence_number: u64,
    /// Number of patches, spread round-robin over [`PRODUCT_TYPES`] by build number.
    pub patch_count: usize,
    /// Build number of the first patch: patch `i` gets `productVersion`
    /// `9.0.0.0.<first_build + i>`, so two specs with disjoint build ranges merge without
    /// overlap.
    pub first_build: usize,
    /// Bundles per patch (alternately `PATCH` and `INSTALL`, one binary each).
    pub bundles_per_patch: usize,
    /// Length of each patch's `description` (pads patches to a realistic size).
    pub description_len: usize,
    /// Salt mixed into ids and checksums: the same versions with another salt have
    /// different content (for "replace" tests).
    pub salt: u64,
}

impl CatalogSpec {
    /// `patch_count` patches with sequence number `sequence_number`; about 1 KB per patch.
    pub fn new(sequence_number: u64, patch_count: usize) -> Self {
        Self {
            sequence_number,
            patch_count,
            first_build: 100_000,
            bundles_per_patch: 2,
            description_len: 400,
            salt: 0,
        }
    }

    /// The product type and `productVersion` of patch `index`. Both, and the patch's
    /// content, depend only on the build number (and [`salt`](Self::salt)), so specs with
    /// overlapping build ranges describe the same entries.
    pub fn entry(&self, index: usize) -> (&'static str, String) {
        let build = self.first_build + index;
        (
            PRODUCT_TYPES[build % PRODUCT_TYPES.len()],
            format!("9.0.0.0.{build}"),
        )
    }

    /// The catalog file (compact JSON).
    pub fn to_json(&self) -> Vec<u8> {
        let mut patches = serde_json::Map::new();
        for index in 0..self.patch_count {
            let (product_type, _) = self.entry(index);
            let list = patches
                .entry(product_type)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(self.patch(index));
            }
        }
        let catalog = json!({
            "version": 1,
            "sequenceNumber": self.sequence_number,
            "creationTime": "2025-03-21T09:42:55.024Z",
            "publishedTime": "2025-03-21T09:42:55.024Z",
            "patches": patches,
        });
        serde_json::to_vec(&catalog).expect("a JSON value always serializes")
    }

    fn patch(&self, index: usize) -> Value {
        let (product_type, product_version) = self.entry(index);
        let build = self.first_build + index;
        let bundles: Vec<Value> = (0..self.bundles_per_patch)
            .map(|bundle| self.bundle(index, bundle))
            .collect();
        let mut description = format!("{product_type} {product_version} ");
        while description.len() < self.description_len {
            description.push_str("lorem ipsum ");
        }
        description.truncate(self.description_len.max(1));
        json!({
            "releaseDate": "2025-03-21T09:42:55.024Z",
            "description": description,
            "productVersion": product_version,
            "artifacts": { "bundles": bundles },
            "metadata": [{ "tag": "generated", "configuration": [{ "key": "build", "value": build.to_string() }] }],
        })
    }

    fn bundle(&self, index: usize, bundle: usize) -> Value {
        let build = self.first_build + index;
        let seed = format!("{}/{build}/{bundle}", self.salt);
        let digest = depot_model::Sha256Digest::compute(seed.as_bytes());
        let mut id_bytes = [0u8; 16];
        id_bytes.copy_from_slice(&digest.as_bytes()[..16]);
        let id = uuid::Builder::from_random_bytes(id_bytes)
            .into_uuid()
            .hyphenated()
            .to_string();
        let (kind, extension) = if bundle.is_multiple_of(2) {
            ("PATCH", "iso")
        } else {
            ("INSTALL", "zip")
        };
        let (product_type, _) = self.entry(index);
        json!({
            "id": id,
            "type": kind,
            "name": id,
            "binaries": [{
                "fileName": format!("{product_type}-{build}-{bundle}.{extension}"),
                "size": 600_000_000 + build * 10 + bundle,
                "checksum": depot_model::Sha256Digest::compute(id.as_bytes()).to_string(),
            }],
        })
    }
}

/// A catalog of `patch_count` generated patches with sequence number `sequence_number`.
pub fn generate_catalog(sequence_number: u64, patch_count: usize) -> Vec<u8> {
    CatalogSpec::new(sequence_number, patch_count).to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_catalogs_parse_and_are_deterministic() {
        let spec = CatalogSpec::new(3, 12);
        let bytes = spec.to_json();
        assert_eq!(bytes, spec.to_json());
        let catalog = crate::parse_catalog(&bytes).expect("generated catalog is valid");
        assert_eq!(catalog.patch_count(), 12);
        assert_eq!(catalog.sequence_number(), 3);
        let (product_type, version) = spec.entry(7);
        assert!(catalog.find(product_type, &version).is_some());
    }
}
