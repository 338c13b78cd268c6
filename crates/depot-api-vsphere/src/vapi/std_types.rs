//! Types of `com.vmware.vapi.std` and `com.vmware.cis` used by several services.

use super::types::{EnumType, Field, StructType, Type, field};

/// `com.vmware.vapi.std.localizable_message` (only the fields depotd fills).
pub const LOCALIZABLE_MESSAGE: StructType = StructType {
    id: "com.vmware.vapi.std.localizable_message",
    fields: &[
        field("id", Type::String),
        field("default_message", Type::String),
        field("args", Type::List(&Type::String)),
        field("localized", Type::Optional(&Type::String)),
    ],
};

/// `com.vmware.cis.task.status`.
pub const TASK_STATUS: EnumType = EnumType {
    id: "com.vmware.cis.task.status",
    values: &["PENDING", "RUNNING", "BLOCKED", "SUCCEEDED", "FAILED"],
};

/// `com.vmware.cis.task.progress`.
pub const TASK_PROGRESS: StructType = StructType {
    id: "com.vmware.cis.task.progress",
    fields: &[
        field("total", Type::Int),
        field("completed", Type::Int),
        field("message", Type::Struct(&LOCALIZABLE_MESSAGE)),
    ],
};

/// `com.vmware.cis.task.info`.
pub const TASK_INFO: StructType = StructType {
    id: "com.vmware.cis.task.info",
    fields: &TASK_INFO_FIELDS,
};

const TASK_INFO_FIELDS: [Field; 13] = [
    field("progress", Type::Optional(&Type::Struct(&TASK_PROGRESS))),
    field("result", Type::Optional(&Type::TaskResult)),
    field("description", Type::Struct(&LOCALIZABLE_MESSAGE)),
    field("service", Type::String),
    field("operation", Type::String),
    field("parent", Type::Optional(&Type::String)),
    field("target", Type::Optional(&Type::Struct(&DYNAMIC_ID))),
    field("status", Type::Enum(&TASK_STATUS)),
    field("cancelable", Type::Bool),
    field("error", Type::Optional(&Type::AnyError)),
    field("start_time", Type::Optional(&Type::DateTime)),
    field("end_time", Type::Optional(&Type::DateTime)),
    field("user", Type::Optional(&Type::String)),
];

/// `com.vmware.vapi.std.dynamic_ID`.
pub const DYNAMIC_ID: StructType = StructType {
    id: "com.vmware.vapi.std.dynamic_ID",
    fields: &[field("type", Type::String), field("id", Type::String)],
};

/// The vAPI standard error ids, by REST `error_type`.
pub const STD_ERRORS: &[&str] = &[
    "ALREADY_EXISTS",
    "ALREADY_IN_DESIRED_STATE",
    "CANCELED",
    "CONCURRENT_CHANGE",
    "ERROR",
    "FEATURE_IN_USE",
    "INTERNAL_SERVER_ERROR",
    "INVALID_ARGUMENT",
    "INVALID_ELEMENT_CONFIGURATION",
    "INVALID_ELEMENT_TYPE",
    "INVALID_REQUEST",
    "NOT_ALLOWED_IN_CURRENT_STATE",
    "NOT_FOUND",
    "OPERATION_NOT_FOUND",
    "RESOURCE_BUSY",
    "RESOURCE_IN_USE",
    "RESOURCE_INACCESSIBLE",
    "SERVICE_UNAVAILABLE",
    "TIMED_OUT",
    "UNABLE_TO_ALLOCATE_RESOURCE",
    "UNAUTHENTICATED",
    "UNAUTHORIZED",
    "UNEXPECTED_INPUT",
    "UNSUPPORTED",
    "UNVERIFIED_PEER",
];

/// `com.vmware.vapi.std.errors.<name>` for a REST `error_type`.
pub fn error_id(error_type: &str) -> String {
    format!(
        "com.vmware.vapi.std.errors.{}",
        error_type.to_ascii_lowercase()
    )
}
