//! Rust types with a vAPI type: each wire structure is one Rust declaration whose
//! serde form is the canonical (`/api` REST) JSON and whose [`VapiType::TYPE`] is the
//! description the JSON-RPC codec and the REST binding work from.
//!
//! Scalars, `Option`, `Vec` and string-keyed `BTreeMap` have their vAPI types here;
//! structures and enumerations declare theirs with [`vapi_struct!`](crate::vapi_struct)
//! and [`vapi_enum!`](crate::vapi_enum). Values whose JSON form is a string but whose
//! vAPI type is not (date-times, secrets, binary) use the wrappers below.

use std::collections::BTreeMap;

use chrono::{DateTime as ChronoDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::types::{StructType, Type};

/// A Rust type with a vAPI type.
pub trait VapiType {
    /// Its vAPI type.
    const TYPE: &'static Type;
}

/// A structure declared with [`vapi_struct!`](crate::vapi_struct).
pub trait VapiStruct: VapiType {
    /// Its structure type.
    const STRUCT: &'static StructType;
}

macro_rules! scalar {
    ($($rust:ty => $vapi:expr),* $(,)?) => {
        $(impl VapiType for $rust {
            const TYPE: &'static Type = &$vapi;
        })*
    };
}

scalar! {
    bool => Type::Bool,
    i64 => Type::Int,
    u64 => Type::Int,
    u32 => Type::Int,
    f64 => Type::Double,
    String => Type::String,
    () => Type::Void,
    // Ids serialize as their strings (vAPI ids are strings).
    depot_model::ItemId => Type::String,
}

impl<T: VapiType> VapiType for Option<T> {
    const TYPE: &'static Type = &Type::Optional(T::TYPE);
}

impl<T: VapiType> VapiType for Vec<T> {
    const TYPE: &'static Type = &Type::List(T::TYPE);
}

impl<T: VapiType> VapiType for BTreeMap<String, T> {
    const TYPE: &'static Type = &Type::Map(T::TYPE);
}

/// The name a field declared as `ident` has on the wire: the identifier without a
/// raw-identifier prefix (`r#type` is `type`), as serde names it.
pub const fn field_name(ident: &'static str) -> &'static str {
    match ident.as_bytes() {
        [b'r', b'#', ..] => ident.split_at(2).1,
        _ => ident,
    }
}

/// A date-time: RFC 3339 in UTC with milliseconds on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub ChronoDateTime<Utc>);

impl VapiType for DateTime {
    const TYPE: &'static Type = &Type::DateTime;
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&depot_http::wire_time::format(self.0))
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ChronoDateTime::parse_from_rfc3339(&text)
            .map(|t| DateTime(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

/// A secret string (`{"SECRET": …}` in JSON-RPC); its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(..)")
    }
}

impl VapiType for SecretString {
    const TYPE: &'static Type = &Type::Secret;
}

/// Bytes, base64 in both wire forms (`{"BINARY": …}` in JSON-RPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Binary(pub String);

impl VapiType for Binary {
    const TYPE: &'static Type = &Type::Binary;
}

/// Any vAPI standard error, in its canonical REST body `{error_type, messages, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StdError(pub Value);

impl VapiType for StdError {
    const TYPE: &'static Type = &Type::AnyError;
}

/// The result of a task: typed on the JSON-RPC wire as the result of the operation the
/// task ran (found through the enclosing structure's `service` and `operation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskResult(pub Value);

impl VapiType for TaskResult {
    const TYPE: &'static Type = &Type::TaskResult;
}

/// Declares a structure once: the Rust struct (with `Debug`, `Clone`, serde's
/// `Serialize` and `Deserialize`, and the attributes given), its vAPI structure type
/// with the id given in `#[vapi("…")]`, and its [`VapiType`]. Fields are named on the
/// wire as in Rust (`r#type` is `type`); serde attributes on fields pass through, so
/// `#[serde(skip_serializing_if = "Option::is_none")]` omits an unset optional.
#[macro_export]
macro_rules! vapi_struct {
    (
        #[vapi($id:literal)]
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident : $field_ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, ::serde::Serialize, ::serde::Deserialize)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                $field_vis $field: $field_ty,
            )*
        }

        impl $crate::vapi::typed::VapiStruct for $name {
            const STRUCT: &'static $crate::vapi::types::StructType =
                &$crate::vapi::types::StructType {
                    id: $id,
                    fields: &[$(
                        $crate::vapi::types::Field {
                            name: $crate::vapi::typed::field_name(stringify!($field)),
                            ty: <$field_ty as $crate::vapi::typed::VapiType>::TYPE,
                        },
                    )*],
                };
        }

        impl $crate::vapi::typed::VapiType for $name {
            const TYPE: &'static $crate::vapi::types::Type = &$crate::vapi::types::Type::Struct(
                <$name as $crate::vapi::typed::VapiStruct>::STRUCT,
            );
        }
    };
}

/// Declares an enumeration once: the Rust enum (with `Debug`, `Clone`, `Copy`,
/// equality and serde), each variant's wire value, and its vAPI enumeration type with
/// the id given in `#[vapi("…")]`.
#[macro_export]
macro_rules! vapi_enum {
    (
        #[vapi($id:literal)]
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $wire:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $wire)]
                $variant,
            )*
        }

        impl $name {
            /// The wire value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }
        }

        impl $crate::vapi::typed::VapiType for $name {
            const TYPE: &'static $crate::vapi::types::Type = &$crate::vapi::types::Type::Enum(
                &$crate::vapi::types::EnumType {
                    id: $id,
                    values: &[$($wire),*],
                },
            );
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::vapi_enum! {
        #[vapi("test.colour")]
        /// A colour.
        enum Colour {
            /// Red.
            Red = "RED",
            /// Green.
            Green = "GREEN",
        }
    }

    crate::vapi_struct! {
        #[vapi("test.thing")]
        /// A thing.
        struct Thing {
            /// Its kind.
            r#type: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            size: Option<i64>,
            colours: Vec<Colour>,
            labels: BTreeMap<String, String>,
            seen: Option<DateTime>,
        }
    }

    #[test]
    fn one_declaration_gives_the_serde_form_and_the_vapi_type() {
        let Type::Struct(def) = Thing::TYPE else {
            panic!("a structure")
        };
        assert_eq!(def.id, "test.thing");
        let names: Vec<_> = def.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["type", "size", "colours", "labels", "seen"]);
        assert!(matches!(def.fields[1].ty, Type::Optional(Type::Int)));
        assert!(matches!(
            def.fields[2].ty,
            Type::List(Type::Enum(e)) if e.id == "test.colour" && e.values == ["RED", "GREEN"]
        ));
        assert!(matches!(def.fields[3].ty, Type::Map(Type::String)));
        assert!(matches!(def.fields[4].ty, Type::Optional(Type::DateTime)));
        let thing = Thing {
            r#type: "t".into(),
            size: None,
            colours: vec![Colour::Green],
            labels: BTreeMap::new(),
            seen: None,
        };
        assert_eq!(
            serde_json::to_value(&thing).unwrap(),
            serde_json::json!({"type": "t", "colours": ["GREEN"], "labels": {}, "seen": null})
        );
        assert_eq!(Colour::Red.as_str(), "RED");
    }

    #[test]
    fn date_times_are_rfc3339_with_milliseconds() {
        let t: DateTime =
            serde_json::from_value(serde_json::json!("2025-03-21T10:42:55.024+01:00")).unwrap();
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!("2025-03-21T09:42:55.024Z")
        );
        assert!(serde_json::from_value::<DateTime>(serde_json::json!("yesterday")).is_err());
    }
}
