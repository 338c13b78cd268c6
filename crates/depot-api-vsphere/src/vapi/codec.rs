//! The JSON-RPC value codec: typed JSON-RPC values ⇄ canonical (REST-form) values.
//!
//! Typed form (both directions): struct `{"STRUCTURE": {"<id>": {fields}}}`, optional
//! `{"OPTIONAL": v | null}`, secret `{"SECRET": s}`, binary `{"BINARY": b64}`, error
//! `{"ERROR": {"<error id>": {fields}}}`, map `[{"STRUCTURE": {"map-entry": {"key":
//! k, "value": v}}}]`, lists as arrays, scalars bare.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::std_types::{LOCALIZABLE_MESSAGE, error_id};
use super::types::{StructType, Type};

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
        let here = format!("{path}.{}", f.name);
        match fields.get(f.name) {
            Some(v) => {
                let decoded = decode_at(v, &f.ty, &here, depth + 1)?;
                if !decoded.is_null() {
                    out.insert(f.name.to_owned(), decoded);
                }
            }
            None if matches!(f.ty, Type::Optional(_)) => {}
            None => return Err(fail(&here, "required field is missing")),
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
    match ty {
        Type::Optional(inner) => {
            if value.is_null() {
                json!({"OPTIONAL": null})
            } else {
                json!({"OPTIONAL": encode(value, inner, results)})
            }
        }
        Type::Struct(def) => encode_struct(value, def, results),
        Type::List(inner) => Value::Array(
            value.as_array().map_or_else(Vec::new, |a| a.iter().map(|v| encode(v, inner, results)).collect()),
        ),
        Type::Map(inner) => Value::Array(
            value
                .as_object()
                .map_or_else(Vec::new, |o| {
                    o.iter()
                        .map(|(k, v)| json!({"STRUCTURE": {"map-entry": {"key": k, "value": encode(v, inner, results)}}}))
                        .collect()
                }),
        ),
        Type::Secret => json!({"SECRET": value}),
        Type::Binary => json!({"BINARY": value}),
        Type::AnyError => encode_error(value),
        Type::TaskResult => encode_dynamic(value),
        _ => value.clone(),
    }
}

fn encode_struct(value: &Value, def: &StructType, results: ResultTypes<'_>) -> Value {
    let empty = Map::new();
    let fields = value.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for f in def.fields {
        let v = fields.get(f.name).unwrap_or(&Value::Null);
        let encoded = match &f.ty {
            Type::Optional(Type::TaskResult) if !v.is_null() => {
                let service = fields
                    .get("service")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let operation = fields
                    .get("operation")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let inner = results(service, operation)
                    .map_or_else(|| encode_dynamic(v), |t| encode(v, t, results));
                json!({"OPTIONAL": inner})
            }
            ty => encode(v, ty, results),
        };
        out.insert(f.name.to_owned(), encoded);
    }
    json!({"STRUCTURE": {def.id: out}})
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
                .map(|msg| encode_struct(msg, &LOCALIZABLE_MESSAGE, &|_, _| None))
                .collect()
        });
    let data = match body.get("data") {
        None | Some(Value::Null) => json!({"OPTIONAL": null}),
        Some(d) => json!({"OPTIONAL": encode_dynamic(d)}),
    };
    json!({"ERROR": {error_id(error_type): {
        "messages": messages,
        "data": data,
        "error_type": {"OPTIONAL": error_type},
    }}})
}

/// Encodes a value of unknown type: objects become dynamic structures.
fn encode_dynamic(value: &Value) -> Value {
    match value {
        Value::Object(o) => {
            let fields: Map<String, Value> = o
                .iter()
                .map(|(k, v)| (k.clone(), encode_dynamic(v)))
                .collect();
            json!({"STRUCTURE": {"com.vmware.vapi.dynamic_struct": fields}})
        }
        Value::Array(a) => Value::Array(a.iter().map(encode_dynamic).collect()),
        Value::Null => json!({"OPTIONAL": null}),
        other => other.clone(),
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
                        out.insert(f.name.to_owned(), check_at(v, &f.ty, &here, depth + 1)?);
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
