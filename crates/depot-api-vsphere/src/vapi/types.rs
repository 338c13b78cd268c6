//! vAPI types, as far as the wire needs them.
//!
//! Operations are defined over *canonical* values: the JSON of the `/api` REST form
//! (snake_case objects, bare strings for ids, enums, date-times and secrets, objects
//! for maps, `null` or absence for unset optionals). A [`Type`] tells the JSON-RPC codec
//! how to turn a canonical value into the typed JSON-RPC form and back. Rust types
//! declare theirs through [`VapiType`](super::typed::VapiType).

/// A vAPI data type.
#[derive(Debug)]
pub enum Type {
    /// `true`/`false`.
    Bool,
    /// A 64-bit integer.
    Int,
    /// A double.
    Double,
    /// A string (also ids and URIs).
    String,
    /// An RFC 3339 date-time string.
    DateTime,
    /// A string the JSON-RPC form wraps as `{"SECRET": …}`.
    Secret,
    /// Bytes: base64 in both forms, `{"BINARY": …}` in JSON-RPC.
    Binary,
    /// No value (`null`).
    Void,
    /// One of the listed strings.
    Enum(&'static EnumType),
    /// A value or unset.
    Optional(&'static Type),
    /// A list or set.
    List(&'static Type),
    /// A map with string keys: an object in REST, `map-entry` structures in JSON-RPC.
    Map(&'static Type),
    /// A structure.
    Struct(&'static StructType),
    /// Any vAPI standard error (canonical: the REST error body).
    AnyError,
    /// The result of a task: its type is that of the operation the task ran, found
    /// through the `service` and `operation` fields of the enclosing structure.
    TaskResult,
}

/// An enumeration.
#[derive(Debug)]
pub struct EnumType {
    /// Its id, e.g. `com.vmware.cis.task.status`.
    pub id: &'static str,
    /// The allowed values.
    pub values: &'static [&'static str],
}

/// A structure: an id and ordered fields.
#[derive(Debug)]
pub struct StructType {
    /// Its id, e.g. `com.vmware.cis.task.info` (`operation-input` for inputs).
    pub id: &'static str,
    /// The fields, in declaration order.
    pub fields: &'static [Field],
}

/// A structure field.
#[derive(Debug)]
pub struct Field {
    /// Canonical (snake_case) name.
    pub name: &'static str,
    /// Its type.
    pub ty: &'static Type,
}

impl StructType {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}
