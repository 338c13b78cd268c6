//! The JSON-RPC value codec: typed JSON-RPC values ⇄ canonical (REST-form) values.
//!
//! Typed form (both directions): struct `{"STRUCTURE": {"<id>": {fields}}}`, optional
//! `{"OPTIONAL": v | null}`, secret `{"SECRET": s}`, binary `{"BINARY": b64}`, error
//! `{"ERROR": {"<error id>": {fields}}}`, map `[{"STRUCTURE": {"map-entry": {"key":
//! k, "value": v}}}]`, lists as arrays, scalars bare.

use base64::Engine;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use super::std_types::error_id;
use super::typed::VapiStruct;
use super::types::{StructType, Type};
use crate::wire::message::LocalizableMessage;

/// Depth beyond which input is refused (protects the stack).
const MAX_DEPTH: usize = 64;

/// A value that does not fit its type; names the path of the bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    /// Dotted path, e.g. `operation-input.spec.return_all`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Finds the result type of the operation a task ran.
pub type ResultTypes<'a> = &'a dyn Fn(&str, &str) -> Option<&'static Type>;

/// Decodes a typed JSON-RPC value into its canonical form.
pub fn decode(value: &Value, ty: &Type, path: &str) -> Result<Value, DecodeError> {
    decode_at(value, ty, path, 0)
}

/// `path.name`. Paths are only built while descending; they are short.
fn join(path: &str, name: &str) -> String {
    let mut p = String::with_capacity(path.len() + name.len() + 1);
    p.push_str(path);
    p.push('.');
    p.push_str(name);
    p
}

fn fail(path: &str, message: impl Into<String>) -> DecodeError {
    DecodeError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// The single `{"TAG": inner}` of a wrapper object, if `value` is one.
fn wrapped<'v>(value: &'v Value, tag: &str) -> Option<&'v Value> {
    match value {
        Value::Object(o) if o.len() == 1 => o.get(tag),
        _ => None,
    }
}

fn decode_at(value: &Value, ty: &Type, path: &str, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(fail(path, "value nested too deeply"));
    }
    match ty {
        Type::Optional(inner) => match wrapped(value, "OPTIONAL") {
            Some(Value::Null) => Ok(Value::Null),
            Some(v) => decode_at(v, inner, path, depth + 1),
            None if value.is_null() => Ok(Value::Null),
            None => decode_at(value, inner, path, depth + 1),
        },
        Type::Struct(def) => decode_struct(value, def, path, depth),
        Type::List(inner) => match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| decode_at(v, inner, &format!("{path}[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(fail(path, "expected a list")),
        },
        Type::Map(inner) => decode_map(value, inner, path, depth),
        Type::Secret => match wrapped(value, "SECRET").unwrap_or(value) {
            Value::String(s) => Ok(Value::String(s.clone())),
            _ => Err(fail(path, "expected a secret string")),
        },
        Type::Binary => match wrapped(value, "BINARY") {
            Some(Value::String(s))
                if base64::engine::general_purpose::STANDARD.decode(s).is_ok() =>
            {
                Ok(Value::String(s.clone()))
            }
            _ => Err(fail(path, "expected {\"BINARY\": <base64>}")),
        },
        Type::Bool => value
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| fail(path, "expected a boolean")),
        Type::Int => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
            _ => Err(fail(path, "expected an integer")),
        },
        Type::Double => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => Err(fail(path, "expected a number")),
        },
        Type::String => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(fail(path, "expected a string")),
        },
        Type::DateTime => match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Ok(value.clone())
            }
            _ => Err(fail(path, "expected an RFC 3339 date-time")),
        },
        Type::Enum(def) => match value {
            Value::String(s) if def.values.contains(&s.as_str()) => Ok(value.clone()),
            Value::String(s) => Err(fail(path, format!("{s:?} is not a value of {}", def.id))),
            _ => Err(fail(path, "expected an enumeration string")),
        },
        Type::Void => match value {
            Value::Null => Ok(Value::Null),
            _ => Err(fail(path, "expected no value")),
        },
        Type::AnyError | Type::TaskResult => Err(fail(path, "this value cannot be sent as input")),
    }
}

fn decode_struct(
    value: &Value,
    def: &StructType,
    path: &str,
    depth: usize,
) -> Result<Value, DecodeError> {
    let Some(Value::Object(by_id)) = wrapped(value, "STRUCTURE") else {
        return Err(fail(path, format!("expected a STRUCTURE {}", def.id)));
    };
    let Some((id, fields)) = by_id.iter().next().filter(|_| by_id.len() == 1) else {
        return Err(fail(path, "a STRUCTURE holds exactly one struct id"));
    };
    if id != def.id {
        return Err(fail(path, format!("expected struct {}, got {id}", def.id)));
    }
    let Value::Object(fields) = fields else {
        return Err(fail(path, "structure fields must be an object"));
    };
    let mut out = Map::new();
    for f in def.fields {
        match fields.get(f.name) {
            Some(v) => {
                let decoded = decode_at(v, f.ty, &join(path, f.name), depth + 1)?;
                if !decoded.is_null() {
                    out.insert(f.name.to_owned(), decoded);
                }
            }
            None if matches!(f.ty, Type::Optional(_)) => {}
            None => return Err(fail(&join(path, f.name), "required field is missing")),
        }
    }
    Ok(Value::Object(out))
}

fn decode_map(value: &Value, inner: &Type, path: &str, depth: usize) -> Result<Value, DecodeError> {
    let Value::Array(entries) = value else {
        return Err(fail(
            path,
            "expected a map (a list of map-entry structures)",
        ));
    };
    let mut out = Map::new();
    for (i, entry) in entries.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let fields = wrapped(entry, "STRUCTURE")
            .and_then(|s| s.get("map-entry"))
            .ok_or_else(|| fail(&here, "expected a map-entry structure"))?;
        let Some(Value::String(key)) = fields.get("key") else {
            return Err(fail(&here, "map keys must be strings"));
        };
        let v = fields.get("value").unwrap_or(&Value::Null);
        out.insert(
            key.clone(),
            decode_at(v, inner, &format!("{here}.value"), depth + 1)?,
        );
    }
    Ok(Value::Object(out))
}

/// Encodes a canonical value into the typed JSON-RPC form.
pub fn encode(value: &Value, ty: &Type, results: ResultTypes<'_>) -> Value {
    serde_json::to_value(Typed { value, ty, results }).unwrap_or(Value::Null)
}

/// A canonical value serialized in its typed JSON-RPC form, without building the
/// typed tree first: responses are written straight from the canonical value.
pub struct Typed<'a> {
    /// The canonical value.
    pub value: &'a Value,
    /// Its type.
    pub ty: &'a Type,
    /// Result types of task operations.
    pub results: ResultTypes<'a>,
}

impl Typed<'_> {
    fn with<'b>(&'b self, value: &'b Value, ty: &'b Type) -> Typed<'b> {
        Typed {
            value,
            ty,
            results: self.results,
        }
    }
}

/// Serializes `{"<tag>": inner}`.
fn tagged<S: Serializer, T: Serialize + ?Sized>(
    s: S,
    tag: &str,
    inner: &T,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(tag, inner)?;
    m.end()
}

/// `{"map-entry": {"key": k, "value": v}}` inside a STRUCTURE.
struct MapEntry<'a>(&'a str, Typed<'a>);

impl Serialize for MapEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Fields<'b>(&'b MapEntry<'b>);
        impl Serialize for Fields<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("key", self.0.0)?;
                m.serialize_entry("value", &self.0.1)?;
                m.end()
            }
        }
        struct Entry<'b>(&'b MapEntry<'b>);
        impl Serialize for Entry<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                tagged(s, "map-entry", &Fields(self.0))
            }
        }
        tagged(s, "STRUCTURE", &Entry(self))
    }
}

/// A structure's fields, in declaration order.
struct StructFields<'a>(&'a Typed<'a>, &'a StructType, Option<&'static Type>);

impl Serialize for StructFields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let StructFields(typed, def, result_type) = self;
        let mut m = s.serialize_map(Some(def.fields.len()))?;
        for f in def.fields {
            let v = typed.value.get(f.name).unwrap_or(&Value::Null);
            match (f.ty, result_type) {
                (Type::Optional(Type::TaskResult), Some(t)) if !v.is_null() => {
                    m.serialize_entry(f.name, &Wrapped("OPTIONAL", typed.with(v, t)))?;
                }
                (ty, _) => m.serialize_entry(f.name, &typed.with(v, ty))?,
            }
        }
        m.end()
    }
}

/// `{"<struct id>": {fields}}`.
struct ById<'a>(&'a Typed<'a>, &'a StructType, Option<&'static Type>);

impl Serialize for ById<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        tagged(s, self.1.id, &StructFields(self.0, self.1, self.2))
    }
}

/// `{"<tag>": typed}`.
struct Wrapped<'a>(&'static str, Typed<'a>);

impl Serialize for Wrapped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        tagged(s, self.0, &self.1)
    }
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.ty {
            Type::Optional(inner) => {
                if self.value.is_null() {
                    tagged(s, "OPTIONAL", &Value::Null)
                } else {
                    tagged(s, "OPTIONAL", &self.with(self.value, inner))
                }
            }
            Type::Struct(def) => {
                let result_type = if def
                    .fields
                    .iter()
                    .any(|f| matches!(f.ty, Type::Optional(Type::TaskResult)))
                {
                    let text = |name: &str| {
                        self.value
                            .get(name)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    };
                    (self.results)(text("service"), text("operation"))
                } else {
                    None
                };
                tagged(s, "STRUCTURE", &ById(self, def, result_type))
            }
            Type::List(inner) => {
                let items = self.value.as_array().map_or(&[][..], Vec::as_slice);
                s.collect_seq(items.iter().map(|v| self.with(v, inner)))
            }
            Type::Map(inner) => {
                let empty = Map::new();
                let entries = self.value.as_object().unwrap_or(&empty);
                s.collect_seq(
                    entries
                        .iter()
                        .map(|(k, v)| MapEntry(k, self.with(v, inner))),
                )
            }
            Type::Secret => tagged(s, "SECRET", self.value),
            Type::Binary => tagged(s, "BINARY", self.value),
            Type::AnyError => encode_error(self.value).serialize(s),
            Type::TaskResult => encode_dynamic(self.value.clone()).serialize(s),
            _ => self.value.serialize(s),
        }
    }
}

/// `{"<tag>": inner}`.
fn wrap(tag: &str, inner: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(tag.to_owned(), inner);
    Value::Object(m)
}

fn encode_struct(value: &Value, def: &'static StructType) -> Value {
    encode(value, &Type::Struct(def), &|_, _| None)
}

/// Encodes the canonical REST error body `{error_type, messages, data}` as a vAPI error.
pub fn encode_error(body: &Value) -> Value {
    let error_type = body
        .get("error_type")
        .and_then(Value::as_str)
        .unwrap_or("ERROR");
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |m| {
            m.iter()
                .map(|msg| encode_struct(msg, LocalizableMessage::STRUCT))
                .collect()
        });
    let data = match body.get("data") {
        None | Some(Value::Null) => json!({"OPTIONAL": null}),
        Some(d) => json!({"OPTIONAL": encode_dynamic(d.clone())}),
    };
    json!({"ERROR": {error_id(error_type): {
        "messages": messages,
        "data": data,
        "error_type": {"OPTIONAL": error_type},
    }}})
}

/// Encodes a value of unknown type: objects become dynamic structures.
fn encode_dynamic(value: Value) -> Value {
    match value {
        Value::Object(o) => {
            let fields: Map<String, Value> =
                o.into_iter().map(|(k, v)| (k, encode_dynamic(v))).collect();
            wrap(
                "STRUCTURE",
                wrap("com.vmware.vapi.dynamic_struct", Value::Object(fields)),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(encode_dynamic).collect()),
        Value::Null => wrap("OPTIONAL", Value::Null),
        other => other,
    }
}

/// Checks a canonical (REST-form) value against its type: the REST binding's
/// equivalent of [`decode`]. Unknown structure fields are refused (they are typos);
/// unset optionals are dropped.
pub fn check(value: &Value, ty: &Type, path: &str) -> Result<Value, DecodeError> {
    check_at(value, ty, path, 0)
}

fn check_at(value: &Value, ty: &Type, path: &str, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(fail(path, "value nested too deeply"));
    }
    match (ty, value) {
        (Type::Optional(_), Value::Null) => Ok(Value::Null),
        (Type::Optional(inner), v) => check_at(v, inner, path, depth + 1),
        (Type::Struct(def), Value::Object(fields)) => {
            if let Some(unknown) = fields.keys().find(|k| def.field(k).is_none()) {
                return Err(fail(&format!("{path}.{unknown}"), "unknown field"));
            }
            let mut out = Map::new();
            for f in def.fields {
                let here = format!("{path}.{}", f.name);
                match fields.get(f.name) {
                    Some(v) if !v.is_null() => {
                        out.insert(f.name.to_owned(), check_at(v, f.ty, &here, depth + 1)?);
                    }
                    _ if matches!(f.ty, Type::Optional(_)) => {}
                    _ => return Err(fail(&here, "required field is missing")),
                }
            }
            Ok(Value::Object(out))
        }
        (Type::Struct(def), _) => Err(fail(path, format!("expected a {} object", def.id))),
        (Type::List(inner), Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| check_at(v, inner, &format!("{path}[{i}]"), depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Type::Map(inner), Value::Object(entries)) => entries
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    check_at(v, inner, &format!("{path}.{k}"), depth + 1)?,
                ))
            })
            .collect::<Result<Map<_, _>, DecodeError>>()
            .map(Value::Object),
        (Type::Secret | Type::Binary, Value::String(_)) => Ok(value.clone()),
        // Scalars follow the JSON-RPC rules.
        (
            Type::Bool
            | Type::Int
            | Type::Double
            | Type::String
            | Type::DateTime
            | Type::Enum(_)
            | Type::Void,
            _,
        ) => decode_at(value, ty, path, depth),
        (Type::List(_), _) => Err(fail(path, "expected a list")),
        (Type::Map(_), _) => Err(fail(path, "expected an object")),
        (Type::Secret | Type::Binary, _) => Err(fail(path, "expected a string")),
        (Type::AnyError | Type::TaskResult, _) => {
            Err(fail(path, "this value cannot be sent as input"))
        }
    }
}

#[cfg(test)]
mod tests;
