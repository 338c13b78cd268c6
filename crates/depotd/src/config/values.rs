//! How values are written in the file and the flag layer: durations as whole seconds or
//! hours, an empty string for an optional value that is not set, and secrets that are
//! never written back out.

use std::time::Duration;

use depot_model::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A [`Duration`] as a whole number of seconds.
pub(super) mod seconds {
    use super::{Deserialize, Deserializer, Duration, Serializer};

    pub(in super::super) fn serialize<S: Serializer>(
        d: &Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// A [`Duration`] as a whole number of hours.
pub(super) mod hours {
    use super::{Deserialize, Deserializer, Duration, Serializer};

    pub(in super::super) fn serialize<S: Serializer>(
        d: &Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs() / 3600)
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(|h| Duration::from_secs(h.saturating_mul(3600)))
    }
}

/// An optional string or path: `""` means not set (TOML has no null).
pub(super) mod optional {
    use super::{Deserialize, Deserializer, Serialize, Serializer};

    #[expect(clippy::ref_option, reason = "the signature serde's `with` calls")]
    pub(in super::super) fn serialize<S: Serializer, T: Serialize>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>, T: From<String>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let text = String::deserialize(d)?;
        Ok((!text.is_empty()).then(|| T::from(text)))
    }
}

/// An optional secret in the configuration: read like [`optional`], written as `***`
/// so a dump of the configuration never holds it.
pub(super) mod secret {
    use super::{Deserializer, Secret, Serializer};

    #[expect(clippy::ref_option, reason = "the signature serde's `with` calls")]
    pub(in super::super) fn serialize<S: Serializer>(
        value: &Option<Secret>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(if value.is_some() { "***" } else { "" })
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Secret>, D::Error> {
        super::optional::deserialize(d)
    }
}

/// A secret flag, written in clear into the flag layer (which only feeds [`Config`]).
///
/// [`Config`]: super::Config
#[expect(
    clippy::ref_option,
    reason = "the signature serde's `serialize_with` calls"
)]
pub(super) fn expose<S: Serializer>(value: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(v.expose()),
        None => s.serialize_none(),
    }
}

/// A flag not given, or given empty where empty cannot mean anything else (a path or a
/// database URL): the lower layers decide.
#[expect(
    clippy::ref_option,
    reason = "the signature serde's `skip_serializing_if` calls"
)]
pub(super) fn blank<T: AsRef<std::ffi::OsStr>>(value: &Option<T>) -> bool {
    value.as_ref().is_none_or(|v| v.as_ref().is_empty())
}

/// A secret flag not given, or given empty: the lower layers decide.
#[expect(
    clippy::ref_option,
    reason = "the signature serde's `skip_serializing_if` calls"
)]
pub(super) fn blank_secret(value: &Option<Secret>) -> bool {
    value.as_ref().is_none_or(|v| v.expose().is_empty())
}
