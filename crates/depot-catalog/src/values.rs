//! Checked scalar values of a catalog: names, versions, checksums, timestamps and sizes.
//!
//! Each type rejects bad input in its constructor (`FromStr`, and `Deserialize`, which
//! reports the same reason so the parser can add the JSON path).

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use depot_model::Sha256Digest;

use crate::error::CatalogError;

/// Longest accepted name or version (bytes); longer values are certainly not real.
const MAX_NAME_LEN: usize = 256;

/// Shared rules of textual names: not empty, not too long, no control characters and no
/// leading or trailing white space.
fn check_name(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if value.len() > MAX_NAME_LEN {
        return Err(format!("must be at most {MAX_NAME_LEN} bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    if value.trim() != value {
        return Err("must not start or end with white space".to_owned());
    }
    Ok(())
}

/// Rules of a binary's file name: a plain name, never a path.
fn check_file_name(value: &str) -> Result<(), String> {
    check_name(value)?;
    if value.contains(['/', '\\']) {
        return Err("must be a plain file name without '/' or '\\'".to_owned());
    }
    if value == "." || value == ".." {
        return Err("must not be '.' or '..'".to_owned());
    }
    Ok(())
}

/// Defines a string newtype checked by `$check`.
macro_rules! checked_string {
    ($(#[$meta:meta])* $name:ident, $what:literal, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = CatalogError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $check(value).map_err(|reason| CatalogError::InvalidValue { what: $what, reason })?;
                Ok(Self(value.to_owned()))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                $check(&value).map_err(|reason| de::Error::custom(format!("{} {reason}", $what)))?;
                Ok(Self(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

checked_string!(
    /// A key of the catalog's `patches` object, such as `VCENTER` or `NSX_T_MANAGER`: any
    /// non-empty name.
    ProductType,
    "product type",
    check_name
);

checked_string!(
    /// A patch's `productVersion`, such as `9.0.0.0.123456`: the key patches are merged by.
    ProductVersion,
    "product version",
    check_name
);

checked_string!(
    /// A bundle's `type`: `PATCH` and `INSTALL` are known; any non-empty name is kept.
    BundleType,
    "bundle type",
    check_name
);

checked_string!(
    /// A binary's `fileName`: a plain file name (no `/`, `\`, `.` or `..`), safe to use as
    /// the last component of a path.
    FileName,
    "file name",
    check_file_name
);

/// Deserializes a binary's `checksum`: 64 hex digits (either case), as the one
/// [`Sha256Digest`] type every digest in depotd has.
pub(crate) fn checksum<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Sha256Digest, D::Error> {
    let value = String::deserialize(deserializer)?;
    value
        .parse()
        .map_err(|_| de::Error::custom("checksum must be 64 hex digits (a SHA-256 checksum)"))
}

/// A timestamp of the file (`creationTime`, `publishedTime`, `releaseDate`), which the file
/// format types as a string.
///
/// Accepted: RFC 3339 with a zone (`2025-03-21T09:42:55.024Z`, `…+02:00`), and an ISO-8601
/// date-time without zone (`2025-03-21T09:42:55.024`, as Java's `LocalDateTime` writes it),
/// which is read as UTC. Date-only values and other formats are rejected. The original text
/// is kept and written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CatalogTime {
    instant: DateTime<Utc>,
    text: String,
}

impl CatalogTime {
    /// The instant, in UTC.
    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// The text as written in the file.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn check(value: &str) -> Result<Self, String> {
        let instant = if value.len() > 64 {
            None
        } else if let Ok(with_zone) = DateTime::parse_from_rfc3339(value) {
            Some(with_zone.with_timezone(&Utc))
        } else {
            NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|local| local.and_utc())
        };
        let instant = instant.ok_or_else(|| {
            "must be an RFC 3339 timestamp such as 2025-03-21T09:42:55.024Z".to_owned()
        })?;
        Ok(Self {
            instant,
            text: value.to_owned(),
        })
    }
}

impl FromStr for CatalogTime {
    type Err = CatalogError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::check(value).map_err(|reason| CatalogError::InvalidValue {
            what: "timestamp",
            reason,
        })
    }
}

impl<'de> Deserialize<'de> for CatalogTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::check(&value).map_err(|reason| de::Error::custom(format!("timestamp {reason}")))
    }
}

impl Serialize for CatalogTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl fmt::Display for CatalogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Deserializes an integer that must fit a signed 64-bit value and not be negative
/// (sizes and sequence numbers; Java and the SDK use `long`).
pub(crate) fn non_negative_i64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    struct NonNegative;

    impl Visitor<'_> for NonNegative {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative 64-bit integer")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            if i64::try_from(value).is_ok() {
                Ok(value)
            } else {
                Err(E::custom(format!(
                    "integer {value} is larger than the maximum {}",
                    i64::MAX
                )))
            }
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value)
                .map_err(|_| E::custom(format!("integer {value} must not be negative")))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<u64, E> {
            if value.fract() == 0.0 && value >= 0.0 {
                Err(E::custom(format!(
                    "integer {value} is larger than the maximum {}",
                    i64::MAX
                )))
            } else {
                Err(E::custom(format!(
                    "{value} is not a non-negative 64-bit integer"
                )))
            }
        }
    }

    deserializer.deserialize_any(NonNegative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_empty_padded_and_control_characters() {
        assert!("VCENTER".parse::<ProductType>().is_ok());
        for bad in ["", " VCENTER", "VCENTER ", "A\nB", &"x".repeat(300)] {
            let err = bad.parse::<ProductType>().expect_err(bad);
            assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_INVALID_FIELD");
        }
    }

    #[test]
    fn file_names_are_plain() {
        assert!("VMware-9.0.iso".parse::<FileName>().is_ok());
        for bad in ["a/b", "..", ".", "a\\b", "/etc/passwd"] {
            assert!(bad.parse::<FileName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn checksums_are_64_hex_digits() {
        let parse = |json: &str| {
            let mut de = serde_json::Deserializer::from_str(json);
            checksum(&mut de).map_err(|e| e.to_string())
        };
        let text = "3EDBFF64A8B9768E5CC5B294532F002ABCBFD0D64A1AA8744BFC888DC5C34874";
        let digest = parse(&format!("\"{text}\"")).expect("valid");
        assert_eq!(digest.to_string(), text.to_lowercase());
        for bad in [
            String::new(),
            text[..63].to_owned(),
            format!("{text}0"),
            format!("{}g", &text[..63]),
        ] {
            assert_eq!(
                parse(&format!("\"{bad}\"")),
                Err("checksum must be 64 hex digits (a SHA-256 checksum)".to_owned()),
                "{bad}"
            );
        }
        assert!(parse("42").is_err());
    }

    #[test]
    fn timestamps_with_zone_and_zone_less_as_utc() {
        let zulu: CatalogTime = "2025-03-21T09:42:55.024Z".parse().expect("zulu");
        let offset: CatalogTime = "2025-03-21T11:42:55.024+02:00".parse().expect("offset");
        let local: CatalogTime = "2025-03-21T09:42:55.024".parse().expect("zone-less");
        assert_eq!(zulu.instant(), offset.instant());
        assert_eq!(zulu.instant(), local.instant());
        assert_eq!(offset.as_str(), "2025-03-21T11:42:55.024+02:00");
        for bad in ["2025-03-21", "yesterday", "2025-13-01T00:00:00Z", ""] {
            assert!(bad.parse::<CatalogTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_are_non_negative_i64() {
        let parse = |json: &str| {
            let mut de = serde_json::Deserializer::from_str(json);
            non_negative_i64(&mut de).map_err(|e| e.to_string())
        };
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("9223372036854775807"), Ok(i64::MAX.unsigned_abs()));
        assert!(parse("9223372036854775808").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("1.5").is_err());
        assert!(parse("1e30").is_err());
        assert!(parse("\"1\"").is_err());
    }
}
